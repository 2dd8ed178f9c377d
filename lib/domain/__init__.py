"""What the studio knows, pure: the model, statuses, money, text and request rules, links
as they are read. No I/O, no database, no network, no Streamlit: everything else imports
it, and it imports nothing of the studio's."""

"""The review page guests see (served as plain HTML by lib/server/review_routes.py): only
what was shared — the videos, their review state and comments, the prompt when the sharer
chose so — with no navigation, no other videos and no costs. Everything a person typed is
escaped: it shows as text, never as markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from lib.domain.review import REVIEW_WORDS, stamp_words, state_of
from lib.store.schema import Comment, Review, ReviewLink, Task

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#FAF9FD;color:#1F1B2E}
main{max-width:960px;margin:0 auto;padding:24px}
.video{background:#fff;border:1px solid #E4E0F0;border-radius:12px;padding:16px;margin:16px 0}
video{width:100%;border-radius:8px;background:#1F1B2E}
.note{padding:10px 14px;border-radius:8px;background:#EEF6EE;margin:12px 0}
.problem{background:#FBEDEC}
.comment{border-top:1px solid #EEE;padding:8px 0;white-space:pre-wrap}
.who{color:#5b5670;font-size:.85em}
.guest{background:#EFEAFB;border-radius:4px;padding:0 4px;font-size:.8em}
textarea,input[type=text]{width:100%;box-sizing:border-box;margin:4px 0}
"""
NOTES = {
    "comment": "Thank you: your comment was added.",
    "approve": "Approved. Thank you!",
    "changes": "Changes asked. Thank you!",
}


def page(body: str, title: str = "Review") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def not_valid_page(words: str) -> str:
    return page(f"<h1>Review</h1><p>{escape(words)}</p>")


def review_page(
    link: ReviewLink,
    token: str,
    tasks: Sequence[Task],
    reviews: Mapping[str, Review],
    comments: Mapping[str, Sequence[Comment]],
    csrf: str,
    note: str | None = None,
    problem: str | None = None,
    guest_name: str = "",
) -> str:
    parts = [f"<h1>Review: {escape(link.title)}</h1>"]
    parts.append(
        f"<p class=who>Shared by {escape(link.created_by_name)} · open until "
        f"{link.expires_at:%-d %b %Y, %H:%M} UTC</p>"
    )
    if note in NOTES:
        parts.append(f"<p class=note role=status>{escape(NOTES[note])}</p>")
    if problem:
        parts.append(f'<p class="note problem" role=alert>{escape(problem)}</p>')
    if not tasks:
        parts.append("<p>There are no videos to review here any more.</p>")
    for number, task in enumerate(tasks, 1):
        parts.append(
            _video(
                link,
                token,
                number,
                task,
                reviews.get(task.id),
                comments.get(task.id, ()),
                csrf,
                guest_name,
            )
        )
    return page("".join(parts), f"Review: {link.title}")


def media_path(token: str, name: str) -> str:
    return f"/review/{token}/media/{name}"


def _video(
    link: ReviewLink,
    token: str,
    number: int,
    task: Task,
    review: Review | None,
    comments: Sequence[Comment],
    csrf: str,
    guest_name: str,
) -> str:
    state = state_of(review.state if review else None)
    poster = f' poster="{escape(media_path(token, task.id + ".jpg"))}"' if task.poster_file else ""
    out = [f'<section class=video id="v-{task.id}"><h2>Video {number}</h2>']
    if task.video_file:
        out.append(
            f'<video controls preload="none" playsinline{poster}'
            f' src="{escape(media_path(token, task.id + ".mp4"))}"></video>'
        )
    out.append(f"<p>Review: <strong>{escape(REVIEW_WORDS[state])}</strong>")
    if review is not None and review.reason:
        out.append(f" — {escape(review.reason)}")
    out.append("</p>")
    if link.show_prompts and task.prompt:
        out.append(f"<p class=comment>{escape(task.prompt)}</p>")
    out.append(f"<h3>Comments ({len(comments)})</h3>")
    for comment in comments:
        stamp = f" · at {stamp_words(comment.at_seconds)}" if comment.at_seconds is not None else ""
        mark = " <span class=guest>guest</span>" if comment.by_guest else ""
        out.append(
            f"<div class=comment><div class=who>{escape(comment.author_name)}{mark}{stamp}</div>"
            f"{escape(comment.text)}</div>"
        )
    hidden = (
        f'<input type=hidden name=csrf value="{escape(csrf)}">'
        f'<input type=hidden name=task value="{escape(task.id)}">'
    )
    name_field = (
        "<label>Your name <input type=text name=name maxlength=80 required"
        f' value="{escape(guest_name)}"></label>'
    )
    if link.allow_comments:
        out.append(
            f'<form method=post action="/review/{escape(token)}/comment">{hidden}{name_field}'
            "<label>Comment <textarea name=text rows=3 required"
            ' placeholder="Start with a moment to point at it, e.g. 0:04 the logo is cut">'
            "</textarea></label><button type=submit>Post comment</button></form>"
        )
    if link.allow_approval:
        out.append(
            f'<form method=post action="/review/{escape(token)}/decide">{hidden}{name_field}'
            "<label>Reason (needed to ask for changes)"
            " <input type=text name=reason maxlength=2000></label>"
            "<button type=submit name=decision value=approve>Approve</button> "
            "<button type=submit name=decision value=changes>Ask for changes</button></form>"
        )
    out.append("</section>")
    return "".join(out)

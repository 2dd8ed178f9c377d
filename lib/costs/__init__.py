"""The Costs page's numbers, in pandas: loading, periods, tables, the settled past kept in
memory, the CSV ledger. No Streamlit imports (its st.cache wrappers are in lib/ui/cached.py).

Definitions (the page, the CSV and the tests all follow these exactly):

- Only tasks the service accepted count: `wave_task_id IS NOT NULL`. A submit that was
  never accepted costs nothing and appears nowhere here.
- A task is *terminal* when its status is completed, failed or cancelled.
- settled  = sum(cost_quota) of terminal tasks (the price for completed, 0 otherwise).
- pending  = sum(pre_consumed_quota, falling back to estimate_quota when it is NULL) of
  tasks that are not terminal yet: money held now, settled (or given back) later.
- refunded = sum(refunded_quota) of terminal tasks.
- spend    = settled + pending.
- A task belongs to the UTC calendar day of its `created_at` ("Dates are in UTC").

Money stays in integer quota (500,000 quota = $1; the service charges whole units) in
every frame and is turned into dollars only at the end: `Totals` gives exact `Decimal`s,
`dollar_table` gives the tables' dollar columns (each row's exact integer sum, rounded
once), and the CSV ledger writes exact decimals as text.

On screen, dollars are rounded half up to 4 decimals by the one rule of the studio
(`lib.domain.money.round_usd`: a video shows the same amount on its card and in every table),
so a column of rounded amounts may differ from its rounded total in the last digit; the
totals underneath are exact, and so is the CSV.
"""

"""The Costs page's numbers, in pandas: loading, periods, tables, the settled past kept in
memory, the CSV ledger. No Streamlit imports (its st.cache wrappers are in lib.ui)."""

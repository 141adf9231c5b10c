//! Erlang C staffing. Filled in by the Erlang C work.

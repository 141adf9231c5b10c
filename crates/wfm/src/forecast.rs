//! Forecasting volume per interval. Filled in by the forecasting work.

#![no_main]

xaudit_fuzz::target!(TrendLog);

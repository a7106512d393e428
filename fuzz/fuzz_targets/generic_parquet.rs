#![no_main]

xaudit_fuzz::target!(GenericParquet);

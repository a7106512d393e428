#![no_main]

xaudit_fuzz::target!(GenericCsv);

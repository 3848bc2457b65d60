"""The concept page format: a page file -> records, with its citations and acronyms."""

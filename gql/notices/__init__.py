"""Notices (站内通知), read receipts, live delivery and scheduled reminders."""

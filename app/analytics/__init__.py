"""Analytics: usage per UTC day, tier and character (table usage_daily), rebuilt hourly."""

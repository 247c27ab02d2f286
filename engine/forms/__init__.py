"""Forms: Excel 自评表 import and export."""

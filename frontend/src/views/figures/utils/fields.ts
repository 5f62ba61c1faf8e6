export const ANNUAL_MONEY = [
  "operating_revenue",
  "main_business_revenue",
  "sales_revenue",
  "high_tech_revenue",
  "rd_expense",
  "rd_expense_domestic",
  "total_costs",
  "net_profit",
  "net_profit_recurring",
  "total_assets",
  "total_liabilities",
  "output_value",
  "equity_financing",
  "import_export_value",
] as const;
export const ANNUAL_COUNTS = [
  "staff_total",
  "st_staff",
  "rd_staff",
  "ip_class1",
  "ip_class2",
  "ip_class1_high_value",
  "st_results_converted",
] as const;
export const MONTHLY_MONEY = ["main_business_revenue_ytd", "output_value_ytd"] as const;
/** The columns the annual table shows (the dialog has every field). */
export const ANNUAL_SHOWN = ["operating_revenue", "main_business_revenue", "rd_expense", "net_profit", "total_assets"] as const;

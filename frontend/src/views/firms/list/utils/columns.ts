import type { Schemas } from "@/api/client";
import { formatDate, formatDateTime } from "@/utils/format";

type Firm = Schemas["Firm"];
type Translate = (key: string) => string;

export interface FirmColumn {
  key: string;
  /** i18n key of the header. */
  label: string;
  /** The API's ordering field, when the column sorts on the server. */
  ordering?: string;
  width?: number;
  minWidth?: number;
  /** The text shown in the cell and written to the CSV. */
  text: (firm: Firm, t: Translate) => string;
}

export const FIRM_COLUMNS: FirmColumn[] = [
  { key: "name", label: "firm.fields.name", ordering: "name", minWidth: 200, text: (f) => f.name },
  { key: "uscc", label: "firm.fields.uscc", ordering: "uscc", width: 172, text: (f) => f.uscc },
  { key: "zone", label: "firm.fields.zone", width: 104, text: (f) => f.zone_name },
  {
    key: "industry",
    label: "firm.fields.industry",
    minWidth: 160,
    text: (f) => (f.industry ? `${f.industry} ${f.industry_name ?? ""}`.trim() : ""),
  },
  { key: "tags", label: "firm.fields.tags", minWidth: 130, text: (f) => (f.tags ?? []).join("、") },
  {
    key: "in_park",
    label: "firm.fields.in_park",
    width: 90,
    text: (f, t) => (f.in_park ? t("firm.inPark") : t("firm.leftPark")),
  },
  {
    key: "registration_date",
    label: "firm.fields.registration_date",
    ordering: "registration_date",
    width: 112,
    text: (f) => formatDate(f.registration_date),
  },
  {
    key: "entered_park_on",
    label: "firm.fields.entered_park_on",
    ordering: "entered_park_on",
    width: 112,
    text: (f) => formatDate(f.entered_park_on),
  },
  { key: "left_park_on", label: "firm.fields.left_park_on", width: 112, text: (f) => formatDate(f.left_park_on) },
  {
    key: "legal_form",
    label: "firm.fields.legal_form",
    width: 110,
    text: (f, t) => (f.legal_form ? t(`legalForm.${f.legal_form}`) : ""),
  },
  {
    key: "legal_representative",
    label: "firm.fields.legal_representative",
    width: 100,
    text: (f) => f.legal_representative ?? "",
  },
  {
    key: "assigned_staff",
    label: "firm.fields.assigned_staff",
    width: 120,
    text: (f) => f.assigned_staff_name ?? "",
  },
  { key: "address", label: "firm.fields.address", minWidth: 200, text: (f) => f.address ?? "" },
  {
    key: "updated_at",
    label: "firm.fields.updated_at",
    ordering: "updated_at",
    width: 140,
    text: (f) => formatDateTime(f.updated_at),
  },
];

export const DEFAULT_COLUMNS = ["name", "uscc", "zone", "industry", "tags", "in_park", "registration_date", "assigned_staff"];

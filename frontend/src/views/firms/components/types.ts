import type { Schemas } from "@/api/client";

/** The editable fields of a firm, as the form holds them. */
export interface FirmFormModel {
  uscc: string;
  name: string;
  zone: number | null;
  industry: string | null;
  registration_date: string | null;
  legal_form: Schemas["LegalFormEnum"];
  joint_stock_date: string | null;
  entered_park_on: string | null;
  tags: string[];
  legal_representative: string;
  address: string;
  notes: string;
  reason: string;
}

export const FIRM_FORM_FIELDS = [
  "uscc",
  "name",
  "zone",
  "industry",
  "registration_date",
  "legal_form",
  "joint_stock_date",
  "entered_park_on",
  "tags",
  "legal_representative",
  "address",
  "notes",
  "reason",
] as const;

export function emptyFirmForm(): FirmFormModel {
  return {
    uscc: "",
    name: "",
    zone: null,
    industry: null,
    registration_date: null,
    legal_form: "limited",
    joint_stock_date: null,
    entered_park_on: null,
    tags: [],
    legal_representative: "",
    address: "",
    notes: "",
    reason: "",
  };
}

export function firmFormFrom(firm: Schemas["FirmDetail"]): FirmFormModel {
  return {
    uscc: firm.uscc,
    name: firm.name,
    zone: firm.zone,
    industry: firm.industry ?? null,
    registration_date: firm.registration_date ?? null,
    legal_form: firm.legal_form ?? "limited",
    joint_stock_date: firm.joint_stock_date ?? null,
    entered_park_on: firm.entered_park_on ?? null,
    tags: [...(firm.tags ?? [])],
    legal_representative: firm.legal_representative ?? "",
    address: firm.address ?? "",
    notes: firm.notes ?? "",
    reason: "",
  };
}

/** The request body: the reason only when one was written. */
export function firmRequestFrom(form: FirmFormModel): Schemas["FirmDetailRequest"] {
  const { reason, zone, ...rest } = form;
  return { ...rest, zone: zone ?? 0, ...(reason.trim() ? { reason: reason.trim() } : {}) };
}

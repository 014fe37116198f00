/**
 * Verification vocabulary shared by the API, the intake, the workflow and the local runtime
 * (PRODUCT §7). Pure types and constants: no AWS imports.
 */
export const VERIFICATION_STATUSES = [
  'awaiting_upload',
  'processing',
  'manual_review',
  'approved',
  'rejected',
  'cooldown',
] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

export const LEVELS = ['basic', 'advanced'] as const;
export type VerificationLevel = (typeof LEVELS)[number];

export const DOCUMENT_TYPES = ['passport', 'id_card', 'driving_licence'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const SLOTS = ['document_front', 'document_back', 'selfie', 'proof_of_address'] as const;
export type Slot = (typeof SLOTS)[number];

export const ROLES = ['user', 'support', 'compliance_reviewer', 'compliance_approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The upload slots an attempt needs for a level and document type (PRODUCT §1). */
export function requiredSlots(level: VerificationLevel, documentType: DocumentType): Slot[] {
  const slots: Slot[] = ['document_front'];
  if (documentType !== 'passport') slots.push('document_back');
  slots.push('selfie');
  if (level === 'advanced') slots.push('proof_of_address');
  return slots;
}

/** Content types a slot accepts; the type is decided by the bytes, this only pins the POST policy. */
export function allowedContentTypes(slot: Slot): readonly string[] {
  return slot === 'proof_of_address' ? ['image/jpeg', 'image/png', 'application/pdf'] : ['image/jpeg', 'image/png'];
}

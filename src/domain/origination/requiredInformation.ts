// What the identity, bureau and income checks cannot run without. Named as the application's input names it, so
// the same list is a submission's field errors, the `missingInformation` of an application sent back for it,
// and what `updateApplication` must be given.
export interface InformationOnFile {
  dateOfBirth: boolean;
  /** A national identifier (the bureau and the identity check look the applicant up by it). */
  nationalId: boolean;
  phone: boolean;
  email: boolean;
  address: boolean;
  declaredMonthlyIncome: boolean;
  employer: boolean;
}

/** In the order a form asks for them. */
export const REQUIRED_FOR_CHECKS: readonly { field: string; onFile: keyof InformationOnFile; why: string }[] = [
  { field: 'applicant.dateOfBirth', onFile: 'dateOfBirth', why: 'identity check and age rules' },
  { field: 'applicant.identifiers', onFile: 'nationalId', why: 'a national_id for the identity check and the bureau' },
  { field: 'applicant.phone', onFile: 'phone', why: 'identity check' },
  { field: 'applicant.email', onFile: 'email', why: 'identity check' },
  { field: 'applicant.address', onFile: 'address', why: 'identity check' },
  { field: 'declaredMonthlyIncome', onFile: 'declaredMonthlyIncome', why: 'income verification and affordability' },
  { field: 'employer', onFile: 'employer', why: 'income verification' },
];

/** The fields the checks need that are not on file, in REQUIRED_FOR_CHECKS order; empty when nothing is missing. */
export function missingForChecks(onFile: InformationOnFile): string[] {
  return REQUIRED_FOR_CHECKS.filter((required) => !onFile[required.onFile]).map((required) => required.field);
}

/**
 * One sentence for a history row or an error message: "the checks need applicant.phone and employer". Identifiers
 * say which kind: an applicant who gave only a tax id or a passport has identifiers, just not the one the checks
 * look the applicant up by.
 */
export function describeMissing(missing: readonly string[]): string {
  const named = missing.map((field) => (field === 'applicant.identifiers' ? 'applicant.identifiers (a NATIONAL_ID)' : field));
  const list = named.length <= 1 ? named.join('') : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
  return `the checks need ${list}`;
}

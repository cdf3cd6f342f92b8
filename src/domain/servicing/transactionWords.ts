// How a loan's transaction is named to a person: by what it is and when, on which loan, as a statement names it.
// A database id means nothing to a lender or partner (the API hands out global ids), so a message never shows one.

/** "prepaymentFee" → "Prepayment fee": a kind (or any camel-cased name) in words. */
export function kindInWords(kind: string): string {
  const words = kind.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "the repayment of 2026-02-05", and "… on loan L-000123" when the loan's number is known. */
export function transactionInWords(transaction: { kind: string; valueDate: string }, loanNumber?: string): string {
  return `the ${kindInWords(transaction.kind).toLowerCase()} of ${transaction.valueDate}${loanNumber ? ` on loan ${loanNumber}` : ''}`;
}

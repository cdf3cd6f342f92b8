// The loan agreement generated from an accepted offer, and the sandbox e-signature's certificate page. Both are
// rendered from their arguments only (the creation date is an argument), so the same offer renders the same
// bytes and its SHA-256 identifies it.
import PDFDocument from 'pdfkit';

export interface AgreementContent {
  lenderName: string;
  applicationReference: string;
  borrowerName: string;
  currency: string;
  amount: string;
  annualRatePercent: string;
  aprPercent: string;
  numberOfRepayments: number;
  instalment: string;
  totalRepayable: string;
  fees: string;
  validUntil: string;
  consentText: string;
  consentSha256: string;
  acceptedAt: string;
}

function render(build: (doc: PDFKit.PDFDocument) => void, title: string, createdAt: Date): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: title, Producer: 'Lendgraph', Creator: 'Lendgraph', CreationDate: createdAt, ModDate: createdAt } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    build(doc);
    doc.end();
  });
}

export function agreementPdf(content: AgreementContent, createdAt: Date): Promise<Buffer> {
  return render((doc) => {
    doc.font('Helvetica-Bold').fontSize(16).text(`Loan agreement ${content.applicationReference}`);
    doc.moveDown(0.5).font('Helvetica').fontSize(10).text(`Between ${content.lenderName} (the lender) and ${content.borrowerName} (the borrower).`);
    doc.moveDown();
    const rows: [string, string][] = [
      ['Amount lent', `${content.amount} ${content.currency}`],
      ['Nominal annual rate', `${content.annualRatePercent} %`],
      ['Annual percentage rate (APR)', `${content.aprPercent} %`],
      ['Number of repayments', String(content.numberOfRepayments)],
      ['Instalment', `${content.instalment} ${content.currency}`],
      ['Total repayable', `${content.totalRepayable} ${content.currency}`],
      ['Fees', content.fees],
      ['Offer valid until', content.validUntil],
    ];
    for (const [label, value] of rows) doc.font('Helvetica-Bold').text(label, { continued: true }).font('Helvetica').text(`: ${value}`);
    doc.moveDown().font('Helvetica-Bold').text('Consent given on acceptance');
    doc.font('Helvetica').text(content.consentText);
    doc.fontSize(8).text(`SHA-256 of the consent text: ${content.consentSha256}; accepted ${content.acceptedAt}.`);
  }, `Loan agreement ${content.applicationReference}`, createdAt);
}

export interface SignatureCertificate {
  envelopeId: string;
  signerName: string;
  signedAt: string;
  agreementSha256: string;
  provider: string;
}

/** The sandbox e-sign provider's signed copy: the agreement's hash and the signature record on a certificate page. */
export function signedAgreementPdf(agreementReference: string, certificate: SignatureCertificate, createdAt: Date): Promise<Buffer> {
  return render((doc) => {
    doc.font('Helvetica-Bold').fontSize(14).text(`Signature certificate — loan agreement ${agreementReference}`);
    doc.moveDown().font('Helvetica').fontSize(10);
    doc.text(`Envelope: ${certificate.envelopeId}`);
    doc.text(`Signed by: ${certificate.signerName}`);
    doc.text(`Signed at: ${certificate.signedAt}`);
    doc.text(`Agreement SHA-256: ${certificate.agreementSha256}`);
    doc.text(`Provider: ${certificate.provider} (sandbox: no real signature service was called)`);
  }, `Signed loan agreement ${agreementReference}`, createdAt);
}

// A dev-phone upload over its caps: answered 413 payload_too_large with this message by the
// routes' error handler (webhookErrorHandler reads `status` and `type`, as for body-parser's own).
export class PayloadTooLargeError extends Error {
  readonly status = 413;
  readonly type: string;
  constructor(message: string) {
    super(message);
    this.type = message;
  }
}

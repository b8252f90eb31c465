/** An error the user may see. `code` is `<module>.<problem>` and doubles as the i18n key. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status = 400,
    readonly params: Record<string, unknown> = {},
  ) {
    super(code);
    this.name = 'AppError';
  }
}

export class NotFoundError extends AppError {
  constructor(code = 'common.errors.notFound') {
    super(code, 404);
  }
}

export class ForbiddenError extends AppError {
  constructor(code = 'common.errors.forbidden') {
    super(code, 403);
  }
}

/** Field errors keyed by field name, each an i18n key; the form is re-rendered with what the user typed. */
export class ValidationError extends AppError {
  constructor(readonly fieldErrors: Record<string, string>) {
    super('common.errors.validation', 422);
  }
}

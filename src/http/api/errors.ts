/** Domain errors as API answers: their messages are already Chinese and meant for users. */
import { ApiError } from './framework';
import { RuleValidationError } from '../../domain/deadlines/rules';
import { ArrangementFileError } from '../../domain/calendar/arrangement';
import { CalendarDataMissingError } from '../../domain/calendar/calendar';
import { InvalidDateError } from '../../domain/calendar/dates';
import { DuplicateNoticeError, ImportRejectedError } from '../../domain/import/service';
import { InputFormatError } from '../../domain/import/readers';
import { IllegalTransitionError } from '../../domain/workorders/states';
import { ConcurrentUpdateError, WorkOrderNotFoundError } from '../../domain/workorders/store';
import { WorkOrderActionError } from '../../domain/workorders/actions';
import { UserError } from '../auth/users';
import { ContactsError } from '../../domain/contacts/admin-store';
import { MonitoringInputError } from '../../domain/monitoring/service';

/**
 * Import rejections as the console reads them: the importer's hints name the CLI's --map option;
 * in the console the same thing is the preview's 列对应 (column mapping).
 */
export function withConsoleHints<T>(value: T): T {
  if (typeof value === 'string') {
    return value
      .replace(/可用 --map '表头=字段' 指定，例如[^。]*$/, '请在预览的“列对应”中为表头指定字段（如 责任主体 → 主办单位、情况说明 → 存在问题）')
      .replace(/--map/g, '列对应') as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => withConsoleHints(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withConsoleHints(v)])) as T;
  }
  return value;
}

export function mapDomainError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof UserError || err instanceof ContactsError) return new ApiError(err.status, 'invalid_input', err.message);
  if (err instanceof RuleValidationError || err instanceof ArrangementFileError || err instanceof InvalidDateError) {
    return new ApiError(400, 'invalid_input', err.message);
  }
  if (err instanceof MonitoringInputError) return new ApiError(400, 'invalid_input', err.message);
  if (err instanceof InputFormatError) return new ApiError(400, 'invalid_file', err.message);
  if (err instanceof ImportRejectedError) {
    return new ApiError(422, 'import_rejected', err.message, withConsoleHints(err.result));
  }
  if (err instanceof DuplicateNoticeError) {
    return new ApiError(409, 'duplicate_notice', err.message.replace('请加 --replace', '请勾选“替换已导入的同文号通报”'), {
      existing_notice_id: err.existingId,
    });
  }
  if (err instanceof CalendarDataMissingError) return new ApiError(409, 'calendar_missing', err.message);
  if (err instanceof IllegalTransitionError || err instanceof ConcurrentUpdateError) {
    return new ApiError(409, 'conflict', err.message);
  }
  if (err instanceof WorkOrderActionError) {
    const status = { invalid: 400, conflict: 409, not_found: 404 }[err.kind];
    return new ApiError(status, { invalid: 'invalid_input', conflict: 'conflict', not_found: 'not_found' }[err.kind], err.message);
  }
  if (err instanceof WorkOrderNotFoundError) return new ApiError(404, 'not_found', err.message);
  return null;
}

import { randomUUID } from 'node:crypto';

/** A new id in OpenAI's style (`item_…`, `resp_…`): the prefix and 20 hex digits. */
export function newLiveId(prefix: 'item' | 'resp'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

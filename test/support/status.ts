export interface KeyStatusBody {
  id: string;
  key: string;
  state: string;
  disabledReason: string | null;
  today: { started: number; succeeded: number; failed: number };
  limits: { perDay: number };
  reserved: number;
  cooldownUntil: string | null;
  queue: { waiting: number; active: number; delayed: number };
}

export interface StatusBody {
  pool: { startedToday: number };
  keys: KeyStatusBody[];
}

export async function readStatus(baseUrl: string): Promise<StatusBody> {
  return (await (await fetch(`${baseUrl}/api/status`)).json()) as StatusBody;
}

/** True when no key has anything waiting, delayed, active or reserved. */
export function idle(status: StatusBody): boolean {
  return status.keys.every((k) => k.queue.waiting + k.queue.active + k.queue.delayed + k.reserved === 0);
}

/**
 * Whether a process with this pid exists on this machine. EPERM means it
 * exists but belongs to another user, so it counts as alive. Used wherever a
 * lock, heartbeat or journal names its holder by host and pid (the owner lock,
 * run takeovers and reaping, live journals): a pid means something only on
 * the host that issued it, so callers compare hosts first.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

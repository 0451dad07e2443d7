/** What a closed pipe looks like to a writer; shared by stdout and streamed exports. */

/** True for the errors a pipe gives when its reader has gone (`carbonctl … | head -1`). */
export function isReaderGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return (
    code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END'
  );
}

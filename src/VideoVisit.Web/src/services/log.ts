// A tiny per-feature logger. Never pass personal data or SDP bodies here.
export function createLogger(area: string) {
  const prefix = `[${area}]`;
  return {
    info: (message: string, data?: unknown) => console.info(prefix, message, data ?? ''),
    warn: (message: string, data?: unknown) => console.warn(prefix, message, data ?? ''),
    error: (message: string, data?: unknown) => console.error(prefix, message, data ?? ''),
  };
}

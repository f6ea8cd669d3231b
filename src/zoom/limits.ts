/** Zoom counts an answer that takes longer than this as failed, and retries (5xx and time-outs only). */
export const ZOOM_BUDGET_MS = 3000

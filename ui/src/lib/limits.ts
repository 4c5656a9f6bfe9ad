// Limits shared with candor-protocol (MAX_TEXT_CHARS there).
export const MAX_TEXT_CHARS = 4000;

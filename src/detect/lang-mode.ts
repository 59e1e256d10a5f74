/**
 * How the n-gram language detector loads (about 0.25 s and 80 MB at start). By default with the language
 * module, so any caller can triage at once. A command that starts often and reads posts as they come (classify)
 * sets `deferred` before triage's modules load; it then loads the detector with loadLanguageDetector() when a
 * post first needs it (most are settled by their function words alone).
 */
export const languageDetection = { deferred: false };

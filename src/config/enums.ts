/** The enumerated setting values, kept free of zod so flag declarations load fast. */
export const INTENSITY_PROVIDERS = ['uk', 'electricitymaps', 'static', 'fixed'] as const;
export const POWER_PROFILE_NAMES = ['ada', 'aws', 'gcp', 'azure', 'custom'] as const;
export const CLUSTER_SOURCES = ['nodes', 'pods', 'auto'] as const;
export const CLUSTER_PROVIDERS = ['aws', 'gcp', 'azure', 'on-prem'] as const;

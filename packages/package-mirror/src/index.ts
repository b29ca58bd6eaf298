export { BUILD_PROXY_USER, createPackageMirror, STATUS_PATH, type MirrorOptions, type MirrorStatus, type PackageMirror, type UpstreamFailure } from './mirror';
export { mirrorTrouble } from './client';
export { DEFAULT_UPSTREAMS, type Upstreams } from './routes';

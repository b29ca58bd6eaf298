export { LtiKeys } from './keys';
export type { SigningKey } from './keys';
export { platformRegistration, registerPlatform, listPlatforms, findPlatform, getPlatform } from './platforms';
export type { Platform, PlatformRegistration } from './platforms';
export { startLogin, completeLaunch, LtiLaunchError } from './launch';
export type { Launch } from './launch';
export { userOfLaunch } from './users';
export { pendingScores, postScore, accessToken, SCORE_SCOPE, SCORE_MEDIA_TYPE } from './passback';
export { LtiPassback } from './passback-loop';

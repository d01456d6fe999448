export * from './protocol.ts';
export { accessOf, type FsStat, type FuseFs, FuseServer, type ServerEvents } from './server.ts';
export { FuseMount, fuseMounts, fuseUnavailable, type MountOptions } from './session.ts';

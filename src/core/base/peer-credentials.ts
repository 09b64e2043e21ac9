import { createRequire } from 'node:module';

type Getsockopt = (fd: number, level: number, name: number, value: Buffer, length: number[]) => number;
type Getpeereid = (fd: number, uid: number[], gid: number[]) => number;

let asked: ((fd: number) => number | null) | null | undefined;

/**
 * The user id of the process at the other end of a connected Unix socket: SO_PEERCRED on Linux, getpeereid on
 * macOS, through koffi (Node has neither). Null where it cannot be asked (no koffi build, another system, a
 * call that fails): the socket's own mode and its private folder still keep other users out.
 */
export function peerUid(fd: number): number | null {
  if (asked === undefined) {
    asked = null;
    try {
      type Koffi = { load: (name: string | null) => { func: (signature: string) => unknown } };
      const libc = (createRequire(import.meta.url)('koffi') as Koffi).load(null);
      if (process.platform === 'linux') {
        const getsockopt = libc.func('int getsockopt(int fd, int level, int optname, _Out_ uint8_t *optval, _Inout_ uint32_t *optlen)') as Getsockopt;
        // SOL_SOCKET 1, SO_PEERCRED 17: struct ucred { pid_t pid; uid_t uid; gid_t gid; }.
        asked = (fd) => {
          const cred = Buffer.alloc(12);
          return getsockopt(fd, 1, 17, cred, [12]) === 0 ? cred.readUInt32LE(4) : null;
        };
      } else if (process.platform === 'darwin') {
        const getpeereid = libc.func('int getpeereid(int fd, _Out_ uint32_t *uid, _Out_ uint32_t *gid)') as Getpeereid;
        asked = (fd) => {
          const uid = [0];
          return getpeereid(fd, uid, [0]) === 0 ? uid[0] ?? null : null;
        };
      }
    } catch {
      asked = null;
    }
  }
  return asked ? asked(fd) : null;
}

/**
 * Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h and the kernel-internal
 * include/linux/errno.h of v4.12). Names and values are the kernel's; kernel functions return them negated.
 */

/** Operation not permitted */
export const EPERM = 1;
/** No such file or directory */
export const ENOENT = 2;
/** No such process */
export const ESRCH = 3;
/** Interrupted system call */
export const EINTR = 4;
/** I/O error */
export const EIO = 5;
/** No such device or address */
export const ENXIO = 6;
/** Argument list too long */
export const E2BIG = 7;
/** Exec format error */
export const ENOEXEC = 8;
/** Bad file number */
export const EBADF = 9;
/** No child processes */
export const ECHILD = 10;
/** Try again */
export const EAGAIN = 11;
/** Out of memory */
export const ENOMEM = 12;
/** Permission denied */
export const EACCES = 13;
/** Bad address */
export const EFAULT = 14;
/** Block device required */
export const ENOTBLK = 15;
/** Device or resource busy */
export const EBUSY = 16;
/** File exists */
export const EEXIST = 17;
/** Cross-device link */
export const EXDEV = 18;
/** No such device */
export const ENODEV = 19;
/** Not a directory */
export const ENOTDIR = 20;
/** Is a directory */
export const EISDIR = 21;
/** Invalid argument */
export const EINVAL = 22;
/** File table overflow */
export const ENFILE = 23;
/** Too many open files */
export const EMFILE = 24;
/** Not a typewriter */
export const ENOTTY = 25;
/** Text file busy */
export const ETXTBSY = 26;
/** File too large */
export const EFBIG = 27;
/** No space left on device */
export const ENOSPC = 28;
/** Illegal seek */
export const ESPIPE = 29;
/** Read-only file system */
export const EROFS = 30;
/** Too many links */
export const EMLINK = 31;
/** Broken pipe */
export const EPIPE = 32;
/** Math argument out of domain of func */
export const EDOM = 33;
/** Math result not representable */
export const ERANGE = 34;
/** Resource deadlock would occur */
export const EDEADLK = 35;
/** File name too long */
export const ENAMETOOLONG = 36;
/** No record locks available */
export const ENOLCK = 37;
/** Invalid system call number */
export const ENOSYS = 38;
/** Directory not empty */
export const ENOTEMPTY = 39;
/** Too many symbolic links encountered */
export const ELOOP = 40;
/** No message of desired type */
export const ENOMSG = 42;
/** Identifier removed */
export const EIDRM = 43;
/** Channel number out of range */
export const ECHRNG = 44;
/** Level 2 not synchronized */
export const EL2NSYNC = 45;
/** Level 3 halted */
export const EL3HLT = 46;
/** Level 3 reset */
export const EL3RST = 47;
/** Link number out of range */
export const ELNRNG = 48;
/** Protocol driver not attached */
export const EUNATCH = 49;
/** No CSI structure available */
export const ENOCSI = 50;
/** Level 2 halted */
export const EL2HLT = 51;
/** Invalid exchange */
export const EBADE = 52;
/** Invalid request descriptor */
export const EBADR = 53;
/** Exchange full */
export const EXFULL = 54;
/** No anode */
export const ENOANO = 55;
/** Invalid request code */
export const EBADRQC = 56;
/** Invalid slot */
export const EBADSLT = 57;
/** Bad font file format */
export const EBFONT = 59;
/** Device not a stream */
export const ENOSTR = 60;
/** No data available */
export const ENODATA = 61;
/** Timer expired */
export const ETIME = 62;
/** Out of streams resources */
export const ENOSR = 63;
/** Machine is not on the network */
export const ENONET = 64;
/** Package not installed */
export const ENOPKG = 65;
/** Object is remote */
export const EREMOTE = 66;
/** Link has been severed */
export const ENOLINK = 67;
/** Advertise error */
export const EADV = 68;
/** Srmount error */
export const ESRMNT = 69;
/** Communication error on send */
export const ECOMM = 70;
/** Protocol error */
export const EPROTO = 71;
/** Multihop attempted */
export const EMULTIHOP = 72;
/** RFS specific error */
export const EDOTDOT = 73;
/** Not a data message */
export const EBADMSG = 74;
/** Value too large for defined data type */
export const EOVERFLOW = 75;
/** Name not unique on network */
export const ENOTUNIQ = 76;
/** File descriptor in bad state */
export const EBADFD = 77;
/** Remote address changed */
export const EREMCHG = 78;
/** Can not access a needed shared library */
export const ELIBACC = 79;
/** Accessing a corrupted shared library */
export const ELIBBAD = 80;
/** .lib section in a.out corrupted */
export const ELIBSCN = 81;
/** Attempting to link in too many shared libraries */
export const ELIBMAX = 82;
/** Cannot exec a shared library directly */
export const ELIBEXEC = 83;
/** Illegal byte sequence */
export const EILSEQ = 84;
/** Interrupted system call should be restarted */
export const ERESTART = 85;
/** Streams pipe error */
export const ESTRPIPE = 86;
/** Too many users */
export const EUSERS = 87;
/** Socket operation on non-socket */
export const ENOTSOCK = 88;
/** Destination address required */
export const EDESTADDRREQ = 89;
/** Message too long */
export const EMSGSIZE = 90;
/** Protocol wrong type for socket */
export const EPROTOTYPE = 91;
/** Protocol not available */
export const ENOPROTOOPT = 92;
/** Protocol not supported */
export const EPROTONOSUPPORT = 93;
/** Socket type not supported */
export const ESOCKTNOSUPPORT = 94;
/** Operation not supported on transport endpoint */
export const EOPNOTSUPP = 95;
/** Protocol family not supported */
export const EPFNOSUPPORT = 96;
/** Address family not supported by protocol */
export const EAFNOSUPPORT = 97;
/** Address already in use */
export const EADDRINUSE = 98;
/** Cannot assign requested address */
export const EADDRNOTAVAIL = 99;
/** Network is down */
export const ENETDOWN = 100;
/** Network is unreachable */
export const ENETUNREACH = 101;
/** Network dropped connection because of reset */
export const ENETRESET = 102;
/** Software caused connection abort */
export const ECONNABORTED = 103;
/** Connection reset by peer */
export const ECONNRESET = 104;
/** No buffer space available */
export const ENOBUFS = 105;
/** Transport endpoint is already connected */
export const EISCONN = 106;
/** Transport endpoint is not connected */
export const ENOTCONN = 107;
/** Cannot send after transport endpoint shutdown */
export const ESHUTDOWN = 108;
/** Too many references: cannot splice */
export const ETOOMANYREFS = 109;
/** Connection timed out */
export const ETIMEDOUT = 110;
/** Connection refused */
export const ECONNREFUSED = 111;
/** Host is down */
export const EHOSTDOWN = 112;
/** No route to host */
export const EHOSTUNREACH = 113;
/** Operation already in progress */
export const EALREADY = 114;
/** Operation now in progress */
export const EINPROGRESS = 115;
/** Stale file handle */
export const ESTALE = 116;
/** Structure needs cleaning */
export const EUCLEAN = 117;
/** Not a XENIX named type file */
export const ENOTNAM = 118;
/** No XENIX semaphores available */
export const ENAVAIL = 119;
/** Is a named type file */
export const EISNAM = 120;
/** Remote I/O error */
export const EREMOTEIO = 121;
/** Quota exceeded */
export const EDQUOT = 122;
/** No medium found */
export const ENOMEDIUM = 123;
/** Wrong medium type */
export const EMEDIUMTYPE = 124;
/** Operation Canceled */
export const ECANCELED = 125;
/** Required key not available */
export const ENOKEY = 126;
/** Key has expired */
export const EKEYEXPIRED = 127;
/** Key has been revoked */
export const EKEYREVOKED = 128;
/** Key was rejected by service */
export const EKEYREJECTED = 129;
/** Owner died */
export const EOWNERDEAD = 130;
/** State not recoverable */
export const ENOTRECOVERABLE = 131;
/** Operation not possible due to RF-kill */
export const ERFKILL = 132;
/** Memory page has hardware error */
export const EHWPOISON = 133;
export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;
/** restart if no handler.. */
export const ERESTARTNOHAND = 514;
/** No ioctl command */
export const ENOIOCTLCMD = 515;
/** restart by calling sys_restart_syscall */
export const ERESTART_RESTARTBLOCK = 516;
/** Driver requests probe retry */
export const EPROBE_DEFER = 517;
/** open found a stale dentry */
export const EOPENSTALE = 518;
/** Illegal NFS file handle */
export const EBADHANDLE = 521;
/** Update synchronization mismatch */
export const ENOTSYNC = 522;
/** Cookie is stale */
export const EBADCOOKIE = 523;
/** Operation is not supported */
export const ENOTSUPP = 524;
/** Buffer or request is too small */
export const ETOOSMALL = 525;
/** An untranslatable error occurred */
export const ESERVERFAULT = 526;
/** Type not supported by server */
export const EBADTYPE = 527;
/** Request initiated, but will not complete before timeout */
export const EJUKEBOX = 528;
/** iocb queued, will get completion event */
export const EIOCBQUEUED = 529;
/** conflict with recalled state */
export const ERECALLCONFLICT = 530;
/** Alias of EAGAIN. */
export const EWOULDBLOCK = EAGAIN;
/** Alias of EDEADLK. */
export const EDEADLOCK = EDEADLK;

/** Canonical name for each errno value (aliases such as EWOULDBLOCK map to their target's name). */
const NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'EPERM'],
  [2, 'ENOENT'],
  [3, 'ESRCH'],
  [4, 'EINTR'],
  [5, 'EIO'],
  [6, 'ENXIO'],
  [7, 'E2BIG'],
  [8, 'ENOEXEC'],
  [9, 'EBADF'],
  [10, 'ECHILD'],
  [11, 'EAGAIN'],
  [12, 'ENOMEM'],
  [13, 'EACCES'],
  [14, 'EFAULT'],
  [15, 'ENOTBLK'],
  [16, 'EBUSY'],
  [17, 'EEXIST'],
  [18, 'EXDEV'],
  [19, 'ENODEV'],
  [20, 'ENOTDIR'],
  [21, 'EISDIR'],
  [22, 'EINVAL'],
  [23, 'ENFILE'],
  [24, 'EMFILE'],
  [25, 'ENOTTY'],
  [26, 'ETXTBSY'],
  [27, 'EFBIG'],
  [28, 'ENOSPC'],
  [29, 'ESPIPE'],
  [30, 'EROFS'],
  [31, 'EMLINK'],
  [32, 'EPIPE'],
  [33, 'EDOM'],
  [34, 'ERANGE'],
  [35, 'EDEADLK'],
  [36, 'ENAMETOOLONG'],
  [37, 'ENOLCK'],
  [38, 'ENOSYS'],
  [39, 'ENOTEMPTY'],
  [40, 'ELOOP'],
  [42, 'ENOMSG'],
  [43, 'EIDRM'],
  [44, 'ECHRNG'],
  [45, 'EL2NSYNC'],
  [46, 'EL3HLT'],
  [47, 'EL3RST'],
  [48, 'ELNRNG'],
  [49, 'EUNATCH'],
  [50, 'ENOCSI'],
  [51, 'EL2HLT'],
  [52, 'EBADE'],
  [53, 'EBADR'],
  [54, 'EXFULL'],
  [55, 'ENOANO'],
  [56, 'EBADRQC'],
  [57, 'EBADSLT'],
  [59, 'EBFONT'],
  [60, 'ENOSTR'],
  [61, 'ENODATA'],
  [62, 'ETIME'],
  [63, 'ENOSR'],
  [64, 'ENONET'],
  [65, 'ENOPKG'],
  [66, 'EREMOTE'],
  [67, 'ENOLINK'],
  [68, 'EADV'],
  [69, 'ESRMNT'],
  [70, 'ECOMM'],
  [71, 'EPROTO'],
  [72, 'EMULTIHOP'],
  [73, 'EDOTDOT'],
  [74, 'EBADMSG'],
  [75, 'EOVERFLOW'],
  [76, 'ENOTUNIQ'],
  [77, 'EBADFD'],
  [78, 'EREMCHG'],
  [79, 'ELIBACC'],
  [80, 'ELIBBAD'],
  [81, 'ELIBSCN'],
  [82, 'ELIBMAX'],
  [83, 'ELIBEXEC'],
  [84, 'EILSEQ'],
  [85, 'ERESTART'],
  [86, 'ESTRPIPE'],
  [87, 'EUSERS'],
  [88, 'ENOTSOCK'],
  [89, 'EDESTADDRREQ'],
  [90, 'EMSGSIZE'],
  [91, 'EPROTOTYPE'],
  [92, 'ENOPROTOOPT'],
  [93, 'EPROTONOSUPPORT'],
  [94, 'ESOCKTNOSUPPORT'],
  [95, 'EOPNOTSUPP'],
  [96, 'EPFNOSUPPORT'],
  [97, 'EAFNOSUPPORT'],
  [98, 'EADDRINUSE'],
  [99, 'EADDRNOTAVAIL'],
  [100, 'ENETDOWN'],
  [101, 'ENETUNREACH'],
  [102, 'ENETRESET'],
  [103, 'ECONNABORTED'],
  [104, 'ECONNRESET'],
  [105, 'ENOBUFS'],
  [106, 'EISCONN'],
  [107, 'ENOTCONN'],
  [108, 'ESHUTDOWN'],
  [109, 'ETOOMANYREFS'],
  [110, 'ETIMEDOUT'],
  [111, 'ECONNREFUSED'],
  [112, 'EHOSTDOWN'],
  [113, 'EHOSTUNREACH'],
  [114, 'EALREADY'],
  [115, 'EINPROGRESS'],
  [116, 'ESTALE'],
  [117, 'EUCLEAN'],
  [118, 'ENOTNAM'],
  [119, 'ENAVAIL'],
  [120, 'EISNAM'],
  [121, 'EREMOTEIO'],
  [122, 'EDQUOT'],
  [123, 'ENOMEDIUM'],
  [124, 'EMEDIUMTYPE'],
  [125, 'ECANCELED'],
  [126, 'ENOKEY'],
  [127, 'EKEYEXPIRED'],
  [128, 'EKEYREVOKED'],
  [129, 'EKEYREJECTED'],
  [130, 'EOWNERDEAD'],
  [131, 'ENOTRECOVERABLE'],
  [132, 'ERFKILL'],
  [133, 'EHWPOISON'],
  [512, 'ERESTARTSYS'],
  [513, 'ERESTARTNOINTR'],
  [514, 'ERESTARTNOHAND'],
  [515, 'ENOIOCTLCMD'],
  [516, 'ERESTART_RESTARTBLOCK'],
  [517, 'EPROBE_DEFER'],
  [518, 'EOPENSTALE'],
  [521, 'EBADHANDLE'],
  [522, 'ENOTSYNC'],
  [523, 'EBADCOOKIE'],
  [524, 'ENOTSUPP'],
  [525, 'ETOOSMALL'],
  [526, 'ESERVERFAULT'],
  [527, 'EBADTYPE'],
  [528, 'EJUKEBOX'],
  [529, 'EIOCBQUEUED'],
  [530, 'ERECALLCONFLICT'],
]);

/** Description of each errno value, from the kernel header's comment. */
const DESCRIPTIONS: ReadonlyMap<number, string> = new Map([
  [1, 'Operation not permitted'],
  [2, 'No such file or directory'],
  [3, 'No such process'],
  [4, 'Interrupted system call'],
  [5, 'I/O error'],
  [6, 'No such device or address'],
  [7, 'Argument list too long'],
  [8, 'Exec format error'],
  [9, 'Bad file number'],
  [10, 'No child processes'],
  [11, 'Try again'],
  [12, 'Out of memory'],
  [13, 'Permission denied'],
  [14, 'Bad address'],
  [15, 'Block device required'],
  [16, 'Device or resource busy'],
  [17, 'File exists'],
  [18, 'Cross-device link'],
  [19, 'No such device'],
  [20, 'Not a directory'],
  [21, 'Is a directory'],
  [22, 'Invalid argument'],
  [23, 'File table overflow'],
  [24, 'Too many open files'],
  [25, 'Not a typewriter'],
  [26, 'Text file busy'],
  [27, 'File too large'],
  [28, 'No space left on device'],
  [29, 'Illegal seek'],
  [30, 'Read-only file system'],
  [31, 'Too many links'],
  [32, 'Broken pipe'],
  [33, 'Math argument out of domain of func'],
  [34, 'Math result not representable'],
  [35, 'Resource deadlock would occur'],
  [36, 'File name too long'],
  [37, 'No record locks available'],
  [38, 'Invalid system call number'],
  [39, 'Directory not empty'],
  [40, 'Too many symbolic links encountered'],
  [42, 'No message of desired type'],
  [43, 'Identifier removed'],
  [44, 'Channel number out of range'],
  [45, 'Level 2 not synchronized'],
  [46, 'Level 3 halted'],
  [47, 'Level 3 reset'],
  [48, 'Link number out of range'],
  [49, 'Protocol driver not attached'],
  [50, 'No CSI structure available'],
  [51, 'Level 2 halted'],
  [52, 'Invalid exchange'],
  [53, 'Invalid request descriptor'],
  [54, 'Exchange full'],
  [55, 'No anode'],
  [56, 'Invalid request code'],
  [57, 'Invalid slot'],
  [59, 'Bad font file format'],
  [60, 'Device not a stream'],
  [61, 'No data available'],
  [62, 'Timer expired'],
  [63, 'Out of streams resources'],
  [64, 'Machine is not on the network'],
  [65, 'Package not installed'],
  [66, 'Object is remote'],
  [67, 'Link has been severed'],
  [68, 'Advertise error'],
  [69, 'Srmount error'],
  [70, 'Communication error on send'],
  [71, 'Protocol error'],
  [72, 'Multihop attempted'],
  [73, 'RFS specific error'],
  [74, 'Not a data message'],
  [75, 'Value too large for defined data type'],
  [76, 'Name not unique on network'],
  [77, 'File descriptor in bad state'],
  [78, 'Remote address changed'],
  [79, 'Can not access a needed shared library'],
  [80, 'Accessing a corrupted shared library'],
  [81, '.lib section in a.out corrupted'],
  [82, 'Attempting to link in too many shared libraries'],
  [83, 'Cannot exec a shared library directly'],
  [84, 'Illegal byte sequence'],
  [85, 'Interrupted system call should be restarted'],
  [86, 'Streams pipe error'],
  [87, 'Too many users'],
  [88, 'Socket operation on non-socket'],
  [89, 'Destination address required'],
  [90, 'Message too long'],
  [91, 'Protocol wrong type for socket'],
  [92, 'Protocol not available'],
  [93, 'Protocol not supported'],
  [94, 'Socket type not supported'],
  [95, 'Operation not supported on transport endpoint'],
  [96, 'Protocol family not supported'],
  [97, 'Address family not supported by protocol'],
  [98, 'Address already in use'],
  [99, 'Cannot assign requested address'],
  [100, 'Network is down'],
  [101, 'Network is unreachable'],
  [102, 'Network dropped connection because of reset'],
  [103, 'Software caused connection abort'],
  [104, 'Connection reset by peer'],
  [105, 'No buffer space available'],
  [106, 'Transport endpoint is already connected'],
  [107, 'Transport endpoint is not connected'],
  [108, 'Cannot send after transport endpoint shutdown'],
  [109, 'Too many references: cannot splice'],
  [110, 'Connection timed out'],
  [111, 'Connection refused'],
  [112, 'Host is down'],
  [113, 'No route to host'],
  [114, 'Operation already in progress'],
  [115, 'Operation now in progress'],
  [116, 'Stale file handle'],
  [117, 'Structure needs cleaning'],
  [118, 'Not a XENIX named type file'],
  [119, 'No XENIX semaphores available'],
  [120, 'Is a named type file'],
  [121, 'Remote I/O error'],
  [122, 'Quota exceeded'],
  [123, 'No medium found'],
  [124, 'Wrong medium type'],
  [125, 'Operation Canceled'],
  [126, 'Required key not available'],
  [127, 'Key has expired'],
  [128, 'Key has been revoked'],
  [129, 'Key was rejected by service'],
  [130, 'Owner died'],
  [131, 'State not recoverable'],
  [132, 'Operation not possible due to RF-kill'],
  [133, 'Memory page has hardware error'],
  [514, 'restart if no handler..'],
  [515, 'No ioctl command'],
  [516, 'restart by calling sys_restart_syscall'],
  [517, 'Driver requests probe retry'],
  [518, 'open found a stale dentry'],
  [521, 'Illegal NFS file handle'],
  [522, 'Update synchronization mismatch'],
  [523, 'Cookie is stale'],
  [524, 'Operation is not supported'],
  [525, 'Buffer or request is too small'],
  [526, 'An untranslatable error occurred'],
  [527, 'Type not supported by server'],
  [528, 'Request initiated, but will not complete before timeout'],
  [529, 'iocb queued, will get completion event'],
  [530, 'conflict with recalled state'],
]);

/**
 * Name of an errno value, accepting the kernel's negative return form or the positive value:
 * `errname(-22) === 'EINVAL'`. Returns `undefined` for a value that is not an errno.
 */
export function errname(err: number): string | undefined {
  return NAMES.get(err < 0 ? -err : err);
}

/** The kernel header's one-line description of an errno value (either sign), or `undefined`. */
export function errdesc(err: number): string | undefined {
  return DESCRIPTIONS.get(err < 0 ? -err : err);
}

/** Value of an errno name (`errnoValue('EINVAL') === 22`), or `undefined` for an unknown name. */
export function errnoValue(name: string): number | undefined {
  return VALUES.get(name);
}

/** Every errno name, in value order (aliases excluded). */
export function errnoNames(): string[] {
  return [...NAMES.values()];
}

const VALUES: ReadonlyMap<string, number> = new Map([
  ...[...NAMES].map(([value, name]): [string, number] => [name, value]),
  ['EWOULDBLOCK', EWOULDBLOCK],
  ['EDEADLOCK', EDEADLOCK],
]);

/** Largest errno a kernel pointer can encode (include/linux/err.h MAX_ERRNO). */
export const MAX_ERRNO = 4095;

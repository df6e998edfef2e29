"""The sandbox's seccomp filter: kernel interfaces a JAX submission never needs answer EPERM.

Namespaces, a dropped capability set and --disable-userns already stop these calls from doing harm
inside the sandbox; the filter takes them away from the kernel's attack surface as well (io_uring,
userfaultfd, bpf and perf_event_open are where kernel exploits start). bubblewrap installs the program
(`--seccomp FD`) just before it executes the harness, after its own mounts.

The program is classic BPF, built here (no libseccomp): check the architecture, refuse the x32 ABI,
compare the syscall number against the deny list. Any other architecture is refused outright, so a
32-bit syscall entry cannot go round the list.
"""

import os
import platform
import struct

# name: (x86_64 number, aarch64 number), from the kernel's unistd tables; None where the call does not exist.
DENIED_SYSCALLS = {
    # reaching into other processes
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "kcmp": (312, 272),
    "pidfd_open": (434, 434), "pidfd_send_signal": (424, 424), "pidfd_getfd": (438, 438),
    # file modes: the sandbox's uid owns what the host's owner of its device nodes owns (bwrap maps it
    # to the worker's), and chmod through a bind-mounted /dev/null would reach the host's node
    "chmod": (90, None), "fchmod": (91, 52), "fchmodat": (268, 53), "fchmodat2": (452, 452),
    # the rest of a file's metadata, for the same reason: a root worker's sandbox (before its uid was
    # mapped to an unprivileged host uid) set an ACL on the host's /dev/full with setxattr, and utime
    # needs only write access (which /dev/null grants everyone) to change a host node's times
    "setxattr": (188, 5), "lsetxattr": (189, 6), "fsetxattr": (190, 7), "setxattrat": (463, 463),
    "removexattr": (197, 14), "lremovexattr": (198, 15), "fremovexattr": (199, 16), "removexattrat": (466, 466),
    "utime": (132, None), "utimes": (235, None), "futimesat": (261, None), "utimensat": (280, 88),
    "chown": (92, None), "fchown": (93, 55), "lchown": (94, None), "fchownat": (260, 54),
    # large kernel surfaces a numeric program has no use for
    "bpf": (321, 280), "userfaultfd": (323, 282), "perf_event_open": (298, 241),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218), "fanotify_init": (300, 262),
    # the machine's own state
    "kexec_load": (246, 104), "kexec_file_load": (320, 294), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106), "reboot": (169, 142), "acct": (163, 89),
    "swapon": (167, 224), "swapoff": (168, 225), "syslog": (103, 116), "quotactl": (179, 60),
    "lookup_dcookie": (212, 18), "vhangup": (153, 58), "clock_settime": (227, 112),
    "settimeofday": (164, 170), "adjtimex": (159, 171), "clock_adjtime": (305, 266),
    "iopl": (172, None), "ioperm": (173, None), "uselib": (134, None),
    # the sandbox's own shape: mounts and namespaces
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432),
    "fspick": (433, 433), "mount_setattr": (442, 442), "unshare": (272, 97), "setns": (308, 268),
    "sethostname": (170, 161), "setdomainname": (171, 162),
    "open_by_handle_at": (304, 265), "name_to_handle_at": (303, 264),
}

_ARCHES = {"x86_64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7)}  # machine: (column, AUDIT_ARCH_*)
_X32_SYSCALL_BIT = 0x40000000

# struct seccomp_data: int nr; __u32 arch; ...
_NR_OFFSET, _ARCH_OFFSET = 0, 4
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000


def _insn(code, jt, jf, k):
    return struct.pack("=HBBI", code, jt, jf, k)


def supported():
    return platform.machine() in _ARCHES


def program(machine=None):
    """The filter as bytes of struct sock_filter, for bwrap's --seccomp."""
    machine = machine or platform.machine()
    column, audit_arch = _ARCHES[machine]
    numbers = sorted({pair[column] for pair in DENIED_SYSCALLS.values() if pair[column] is not None})
    deny = _insn(_RET_K, 0, 0, _RET_ERRNO | 1)  # EPERM
    body = [_insn(_LD_W_ABS, 0, 0, _NR_OFFSET)]
    if machine == "x86_64":  # x32 calls carry bit 30 and reach the same kernel code under other numbers
        body.append(_insn(_JGE_K, len(numbers) + 1, 0, _X32_SYSCALL_BIT))
    # One comparison per denied number: equal jumps to the deny at the end, else falls through.
    for i, number in enumerate(numbers):
        body.append(_insn(_JEQ_K, len(numbers) - i, 0, number))
    body.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    body.append(deny)
    # Architecture first: another ABI (i386 via int 0x80, arm32) numbers its calls differently.
    head = [_insn(_LD_W_ABS, 0, 0, _ARCH_OFFSET), _insn(_JEQ_K, 1, 0, audit_arch), deny]
    return b"".join(head + body)


def program_fd():
    """A pipe's read end holding the program (bwrap reads it to the end); the caller passes and closes it."""
    data = program()
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)  # a few hundred bytes: well inside the pipe's buffer
    finally:
        os.close(write_end)
    return read_end

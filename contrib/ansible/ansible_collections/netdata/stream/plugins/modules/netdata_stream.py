#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of stream-config (contrib/ansible). Apache-2.0.
"""Install the streaming files `stream-config fleet render` wrote for one Netdata host."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: netdata_stream
short_description: Install a Netdata host's rendered streaming files, checked by stream-config lint
description:
  - Installs the files C(stream-config fleet render FLEET.yaml --out DIR) wrote for one host
    (C(DIR/hosts/HOST/stream.conf) and, for a parent, C(netdata.conf)) into the host's Netdata
    configuration directory.
  - Each file whose bytes change is first written to a private temporary directory under its own
    name and checked with C(stream-config lint --format json) (or O(validate)); if any file of the
    host fails, none is written and the task fails with the findings.
  - A file replaces the old one atomically (temporary file in the same directory, then rename),
    under the lock stream-config's own writers take (an exclusive C(flock) on C(.NAME.lock) beside
    the file, mode C(0600), left in place).
  - The old file's POSIX ACL (C(system.posix_acl_access)) is carried over to the new file, then
    the mode is applied. With an ACL, the mode's group bits are the ACL mask, which caps the owning
    group and every named user or group of the ACL; so an entry keeps the access it had as far as
    the new mode's group bits allow (C(0640) leaves C(user:daemon:rw-) reading only), and never
    gains more.
  - Only regular files are changed: the old file is opened with C(O_NOFOLLOW) and its owner and
    mode are changed through that descriptor, after checking that it is still the file planned.
  - If a file is replaced and the next one cannot be, the task fails with the reason and
    reports C(changed) (and C(incomplete)); the C(rollout) role then still restarts Netdata on
    that host before failing it.
  - Files that hold API keys (C(stream.conf)) are never more open than C(0640). Keys are never
    shown, in results, diffs or messages; diffs show each key's first 8 characters.
  - Reports C(changed) only when a file's bytes, mode, owner or group change, so a handler that
    restarts Netdata runs only on hosts whose streaming files changed.
  - The action plugin of the same name reads O(src) on the controller; without it (the module
    alone) O(src) is read on the managed host.
version_added: 0.1.0
author: stream-config contributors
options:
  src:
    description:
      - Directory holding the host's rendered files, usually C(DIR/hosts/{{ inventory_hostname }}).
      - A relative path is relative to the playbook's directory.
    type: path
  contents:
    description:
      - Internal (set by the action plugin), file name to text. Never logged.
    type: dict
  dest:
    description: Netdata's configuration directory on the host. It must exist.
    type: path
    default: /etc/netdata
  files:
    description:
      - Names of the files to install from O(src), when present there. C(stream.conf) is required.
    type: list
    elements: str
    default: [stream.conf, netdata.conf]
  stream_config:
    description: The stream-config executable on the managed host, for the lint check.
    type: str
    default: stream-config
  validate:
    description:
      - Command that checks a file before it is installed; C(%s) is the file's path (named as the
        file it replaces). Default C(stream-config lint --format json %s), whose findings are
        reported.
    type: str
  owner:
    description: Owner of the installed files; default the old file's owner (new files, the user Ansible runs as).
    type: str
  group:
    description:
      - Group of the installed files (Netdata reads them as a member of it).
      - Default C(netdata) when that group exists on the host, else the old file's group; a new
        file that holds API keys then fails the task, asking for O(group) (a new file without keys
        gets the group of the user Ansible runs as).
    type: str
  mode:
    description:
      - Mode of the installed files, octal (C("0640")). Default the old file's mode, else C(0640).
      - Files that hold API keys are refused a mode that opens more than C(0640); an old file
        that did is tightened.
    type: raw
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - Keys never need to be on a command line or in a variable; they reach the host inside the
    rendered files only.
"""

EXAMPLES = r"""
- name: Streaming files rendered by stream-config fleet render
  netdata.stream.netdata_stream:
    src: "rendered/hosts/{{ inventory_hostname }}"
    dest: /etc/netdata
    group: netdata
  notify: netdata_stream restart
"""

RETURN = r"""
files:
  description: One entry per installed file.
  returned: always
  type: list
  elements: dict
  contains:
    path: {description: The file on the host., type: str}
    changed: {description: Whether its bytes, mode, owner or group change., type: bool}
    content_changed: {description: Whether its bytes change., type: bool}
    mode: {description: Its mode after the task, octal., type: str}
incomplete:
  description: True when the task failed after replacing some files (their C(changed) is true).
  returned: always
  type: bool
"""

import errno
import fcntl
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

KEY_FILE_MODE = 0o640
ACL_XATTR = "system.posix_acl_access"
NETDATA_GROUP = "netdata"
LOCK_TIMEOUT_SECONDS = 10

_UUID = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])")
_KEY_VALUE = re.compile(r"(?im)^([ \t]*(?:proxy[ \t]+)?api[ \t]+key[ \t]*=[ \t]*)([^\r\n]*?)([ \t]*)$")
_SECTION = re.compile(r"(?m)^([ \t]*\[)([^\]\r\n]+)(\])")


def _placeholder(value):
    """Stock placeholders (API_KEY, MACHINE_GUID) and words in capitals are no secrets."""
    return re.fullmatch(r"[A-Z_]+", value) is not None


def _masked(secret):
    """What stream-config prints for a secret: its first 8 characters (2 if short), then an ellipsis."""
    return (secret[:8] if len(secret) > 12 else secret[:2]) + "\u2026"


def secrets(name, text):
    """The API keys (and machine GUIDs) a file holds: UUIDs, `api key` values and, in
    stream.conf, every section name but [stream]."""
    found = set(_UUID.findall(text))
    for match in _KEY_VALUE.finditer(text):
        found.add(match.group(2))
    if name == "stream.conf":
        for match in _SECTION.finditer(text):
            section = match.group(2).strip()
            if section.lower() != "stream":
                found.add(section)
    return {s for s in found if s.strip() and not _placeholder(s.strip())}


def mask(name, text):
    """`text` with every secret cut to its first characters (the diff a user may see)."""
    for secret in sorted(secrets(name, text), key=len, reverse=True):
        text = text.replace(secret, _masked(secret))
    return text


def parse_mode(module, value):
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"0?[0-7]{3,4}", text):
        module.fail_json(msg="mode must be octal, such as \"0640\" (got %r)" % text)
    return int(text, 8)


def resolve_user(module, owner):
    if owner is None:
        return None
    try:
        return int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid
    except KeyError:
        module.fail_json(msg="no user %r on this host" % owner)


def resolve_group(module, group):
    if group is None:
        return None
    try:
        return int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        module.fail_json(msg="no group %r on this host" % group)


def read_contents(module, src, names):
    """The files of `src` on the managed host (the module used without its action plugin)."""
    contents = {}
    for name in names:
        path = os.path.join(src, name)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                contents[name] = handle.read().decode("utf-8")
    return contents


def lint_findings(module, name, output):
    """The errors of `stream-config lint --format json` output, one line each (keys masked by
    stream-config itself)."""
    try:
        reports = json.loads(output)
    except ValueError:
        return []
    if isinstance(reports, dict):
        reports = reports.get("files", [reports])
    lines = []
    for report in reports if isinstance(reports, list) else []:
        for finding in report.get("diagnostics", []) if isinstance(report, dict) else []:
            if finding.get("severity") != "error":
                continue
            lines.append("%s:%s:%s: error: [%s] %s" % (name, finding.get("line"), finding.get("column"),
                                                      finding.get("code"), finding.get("message")))
    return lines


def validate(module, name, data, command):
    """Checks `data` as file `name` in a private directory; returns None or why it failed."""
    directory = tempfile.mkdtemp(prefix="netdata_stream.")
    try:
        path = os.path.join(directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if command:
            if "%s" not in command:
                module.fail_json(msg="validate must contain %s (the file to check)")
            argv = [part.replace("%s", path) for part in shlex.split(command)]
        else:
            argv = [module.params["stream_config"], "lint", "--format", "json", path]
        try:
            rc, out, err = module.run_command(argv)
        except OSError as error:
            module.fail_json(msg="cannot run %s: %s" % (argv[0], error))
        if rc == 0:
            return None
        findings = lint_findings(module, name, out) if not command else []
        detail = "\n".join(findings) or (out.replace(path, name) + err.replace(path, name)).strip()
        return "%s does not pass `%s` (exit %d):\n%s" % (name, " ".join(shlex.quote(a) for a in argv[:-1]) + " FILE", rc, detail)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def open_regular(path):
    """The file at `path` opened for reading without following a link, and its status; None when
    there is none. Raises ValueError when it is not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return None, None
        if error.errno == errno.ELOOP:
            raise ValueError("%s is a symbolic link (a link, FIFO or device is never replaced)" % path)
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ValueError("%s is not a regular file (a link, FIFO or device is never replaced)" % path)
    return fd, info


def read_old(module, path):
    """The old file's bytes, status and POSIX ACL (None for each when there is no file)."""
    try:
        fd, info = open_regular(path)
    except ValueError as error:
        module.fail_json(msg=str(error))
    except OSError as error:
        module.fail_json(msg="cannot read %s: %s" % (path, error.strerror))
    if fd is None:
        return None, None, None
    try:
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
            try:
                acl = os.getxattr(handle.fileno(), ACL_XATTR)
            except OSError:
                acl = None
    except OSError as error:
        module.fail_json(msg="cannot read %s: %s" % (path, error.strerror))
    return data, info, acl


def default_group(module, path, old_stat, holds_keys):
    """`netdata` when the host has that group, else the old file's group; a new file with keys and
    no such group fails (root's group would leave Netdata unable to read it)."""
    try:
        return grp.getgrnam(NETDATA_GROUP).gr_gid
    except KeyError:
        pass
    if old_stat:
        return old_stat.st_gid
    if holds_keys:
        module.fail_json(msg="%s holds API keys and must be readable by Netdata, but this host has no group %r "
                             "and no old file to take the group from: set group (netdata_stream_group in the role) "
                             "to the group Netdata runs as" % (path, NETDATA_GROUP))
    return os.getegid()


def plan(module, name, text, dest):
    """What installing `text` as dest/name changes."""
    path = os.path.join(dest, name)
    data = text.encode("utf-8")
    old, old_stat, acl = read_old(module, path)
    holds_keys = name == "stream.conf" or bool(secrets(name, text))
    mode = parse_mode(module, module.params["mode"])
    if mode is None:
        mode = stat.S_IMODE(old_stat.st_mode) if old_stat else KEY_FILE_MODE
        if holds_keys:
            mode &= KEY_FILE_MODE
    elif holds_keys and mode & ~KEY_FILE_MODE:
        module.fail_json(msg="mode %04o would open %s, which holds API keys, beyond 0640" % (mode, path))
    uid = resolve_user(module, module.params["owner"])
    gid = resolve_group(module, module.params["group"])
    if uid is None:
        uid = old_stat.st_uid if old_stat else os.geteuid()
    if gid is None:
        gid = default_group(module, path, old_stat, holds_keys)
    before = None
    if old_stat:
        before = {"mode": stat.S_IMODE(old_stat.st_mode), "uid": old_stat.st_uid, "gid": old_stat.st_gid}
    after = {"mode": mode, "uid": uid, "gid": gid}
    return {
        "name": name, "path": path, "data": data, "text": text, "old": old, "acl": acl,
        "identity": (old_stat.st_dev, old_stat.st_ino) if old_stat else None,
        "content_changed": old != data, "meta_changed": before != after if before else True,
        "before": before, "after": after,
    }


def diff_of(item):
    name = item["name"]
    old_text = item["old"].decode("utf-8", "replace") if item["old"] is not None else ""
    diffs = []
    if item["content_changed"]:
        diffs.append({
            "before_header": item["path"] if item["old"] is not None else "%s (absent)" % item["path"],
            "after_header": item["path"],
            "before": mask(name, old_text),
            "after": mask(name, item["text"]),
        })
    if item["before"] and item["meta_changed"]:
        def shown(meta):
            return {"path": item["path"], "mode": "%04o" % meta["mode"], "owner": meta["uid"], "group": meta["gid"]}
        diffs.append({"before": shown(item["before"]), "after": shown(item["after"])})
    return diffs


class Locks(object):
    """stream-config's writers' lock on each file: an exclusive flock on `.NAME.lock` beside it
    (mode 0600, left in place), so this module and `stream-config` commands or `edit` sessions do
    not interleave a read-modify-write."""

    def __init__(self, module, paths):
        self.fds = []
        try:
            for path in sorted(paths):
                self.fds.append(self.lock(module, path))
        except BaseException:
            self.release()
            raise

    @staticmethod
    def lock(module, path):
        lock_path = os.path.join(os.path.dirname(path), ".%s.lock" % os.path.basename(path))
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC, 0o600)
        except OSError as error:
            module.fail_json(msg="%s: cannot open the lock file: %s" % (lock_path, error.strerror))
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid not in (os.geteuid(), 0) or info.st_mode & 0o077:
            os.close(fd)
            module.fail_json(msg="%s: the lock file must be a regular file of this user or root, mode 0600; remove it" % lock_path)
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EINTR) or time.monotonic() >= deadline:
                    os.close(fd)
                    module.fail_json(msg="%s is being changed by another stream-config (waited %d s for %s); try again"
                                         % (path, LOCK_TIMEOUT_SECONDS, lock_path))
                time.sleep(0.05)

    def release(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def set_meta(fd, after):
    """Owner, group, then mode: fchmod last, as a chown may clear set-id bits, and with an ACL it
    sets the mask from the mode's group bits."""
    os.fchown(fd, after["uid"], after["gid"])
    os.fchmod(fd, after["mode"])


def install(module, item):
    path = item["path"]
    after = item["after"]
    if not item["content_changed"]:
        # Only owner, group or mode change: through a descriptor of the file planned, never a link.
        fd, info = open_regular(path)
        if fd is None or (info.st_dev, info.st_ino) != item["identity"]:
            if fd is not None:
                os.close(fd)
            raise ValueError("%s changed while the task ran" % path)
        try:
            set_meta(fd, after)
        finally:
            os.close(fd)
        return
    directory = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".%s." % item["name"], suffix=".netdata_stream")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(item["data"])
            handle.flush()
            if item["acl"]:
                # The old file's entries, then the mode (which sets the mask from its group bits).
                os.setxattr(handle.fileno(), ACL_XATTR, item["acl"])
            elif item["before"]:
                # The old file had none: none inherited from the directory's default ACL either.
                try:
                    os.removexattr(handle.fileno(), ACL_XATTR)
                except OSError as error:
                    if error.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP):
                        raise
            set_meta(handle.fileno(), after)
            os.fsync(handle.fileno())
        os.rename(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            contents=dict(type="dict", no_log=True),
            dest=dict(type="path", default="/etc/netdata"),
            files=dict(type="list", elements="str", default=["stream.conf", "netdata.conf"]),
            stream_config=dict(type="str", default="stream-config"),
            validate=dict(type="str"),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
        ),
        required_one_of=[("src", "contents")],
        supports_check_mode=True,
    )
    params = module.params
    names = params["files"]
    for name in names:
        if not name or "/" in name or name in (".", ".."):
            module.fail_json(msg="files lists plain file names (got %r)" % name)
    contents = params["contents"]
    if contents is None:
        contents = read_contents(module, params["src"], names)
    # Every key any file holds is masked in whatever this module returns.
    for name, text in contents.items():
        module.no_log_values.update(secrets(name, text))
    if "stream.conf" not in contents:
        module.fail_json(msg="no stream.conf for this host in %s (render it with `stream-config fleet render`)" % params["src"])
    dest = params["dest"]
    if not os.path.isdir(dest):
        module.fail_json(msg="%s is not a directory (is Netdata installed?)" % dest)

    items = [plan(module, name, contents[name], dest) for name in names if name in contents]
    failures = [why for why in (validate(module, item["name"], item["data"], params["validate"])
                                for item in items if item["content_changed"]) if why]
    if failures:
        module.fail_json(msg="nothing was written to %s:\n%s" % (dest, "\n".join(failures)), changed=False)

    changed = any(item["content_changed"] or item["meta_changed"] for item in items)
    if changed and not module.check_mode:
        # Planned again under the lock: what is installed is compared with the files as they are now.
        locks = Locks(module, [item["path"] for item in items])
        try:
            items = [plan(module, item["name"], item["text"], dest) for item in items]
            changed = any(item["content_changed"] or item["meta_changed"] for item in items)
            installed = []
            for item in items:
                if not (item["content_changed"] or item["meta_changed"]):
                    continue
                try:
                    install(module, item)
                except (OSError, ValueError) as error:
                    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                    done = ", ".join(i["path"] for i in installed)
                    module.fail_json(
                        msg="cannot install %s: %s%s" % (item["path"], reason,
                                                         "; already replaced: %s (restart Netdata to read it)" % done if done else ""),
                        changed=bool(installed), incomplete=bool(installed),
                        files=[{"path": i["path"], "changed": i in installed, "content_changed": i["content_changed"] and i in installed,
                                "mode": "%04o" % i["after"]["mode"]} for i in items])
                installed.append(item)
        finally:
            locks.release()
    result = {
        "changed": changed,
        "incomplete": False,
        "dest": dest,
        "files": [{"path": item["path"], "changed": item["content_changed"] or item["meta_changed"],
                   "content_changed": item["content_changed"], "mode": "%04o" % item["after"]["mode"]} for item in items],
    }
    if module._diff:
        result["diff"] = [d for item in items for d in diff_of(item)]
    module.exit_json(**result)


if __name__ == "__main__":
    main()

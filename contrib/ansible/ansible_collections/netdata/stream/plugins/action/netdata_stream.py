# -*- coding: utf-8 -*-
# Part of stream-config (contrib/ansible). Apache-2.0.
"""Reads a host's rendered files on the controller and hands them to the netdata_stream module."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        if "contents" in args:
            raise AnsibleActionFail("contents is set by the action plugin; give src")
        src = args.get("src")
        if not src:
            raise AnsibleActionFail("src is required: the host's directory of `stream-config fleet render --out DIR` (DIR/hosts/HOST)")
        if not os.path.isabs(src):
            src = os.path.join(self._loader.get_basedir(), src)
        names = args.get("files") or ["stream.conf", "netdata.conf"]
        contents = {}
        for name in names:
            path = os.path.join(src, name)
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    try:
                        contents[name] = handle.read().decode("utf-8")
                    except UnicodeDecodeError:
                        raise AnsibleActionFail("%s is not UTF-8 text" % path)
        args["src"] = src
        args["contents"] = contents
        result.update(self._execute_module(module_name="netdata.stream.netdata_stream", module_args=args, task_vars=task_vars))
        return result

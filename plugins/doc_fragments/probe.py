# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Options shared by the modules that touch a possibly hung mount."""

    DOCUMENTATION = r'''
options:
  timeout:
    description:
      - Seconds to wait for each file system call made on the mount.
      - Every such call runs in a child process. When it does not answer in time it is reported
        as timed out (V(ETIMEDOUT), or C(alive=hung)) and the module goes on, so a hung NFS or FUSE
        mount never hangs the play. A child stuck in the kernel is left behind and ends when the
        mount answers or is unmounted.
      - Must be greater than 0.
    type: float
    default: 10
notes:
  - Paths are compared with the mount table lexically; symbolic links in O(path) are not resolved,
    because resolving them would touch a mount that may be hung. Give the real mount path.
'''

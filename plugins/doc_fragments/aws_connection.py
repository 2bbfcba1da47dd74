# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options shared by the AWS modules of mountkit.aws. Names, aliases and environment
    # fallbacks follow amazon.aws, so module_defaults written for amazon.aws work here too.
    DOCUMENTATION = r'''
options:
  region:
    description:
      - The AWS region to use.
      - The E(AWS_REGION) or E(AWS_DEFAULT_REGION) environment variables may also be used, in decreasing order
        of preference; boto3 then falls back to the region of the profile.
    type: str
    aliases: [ aws_region ]
  profile:
    description:
      - A named AWS profile (from C(~/.aws/config) or C(~/.aws/credentials)) to use for authentication.
      - The E(AWS_PROFILE) or E(AWS_DEFAULT_PROFILE) environment variables may also be used.
      - Mutually exclusive with O(access_key), O(secret_key) and O(session_token).
    type: str
    aliases: [ aws_profile ]
  endpoint_url:
    description:
      - URL to connect to instead of the default AWS endpoints, for example a VPC endpoint or an S3-compatible
        server.
      - The E(AWS_ENDPOINT_URL) or E(AWS_URL) environment variables may also be used.
    type: str
    aliases: [ aws_endpoint_url ]
  access_key:
    description:
      - AWS access key ID.
      - The E(AWS_ACCESS_KEY_ID) or E(AWS_ACCESS_KEY) environment variables may also be used.
      - When neither keys nor a profile are given, boto3 finds credentials itself, for example from the instance
        profile (IMDS) or the ECS task role, which is what a mount on that host uses.
    type: str
    aliases: [ aws_access_key_id, aws_access_key ]
  secret_key:
    description:
      - AWS secret access key.
      - The E(AWS_SECRET_ACCESS_KEY) or E(AWS_SECRET_KEY) environment variables may also be used.
    type: str
    aliases: [ aws_secret_access_key, aws_secret_key ]
  session_token:
    description:
      - AWS STS session token, for temporary credentials.
      - The E(AWS_SESSION_TOKEN) environment variable may also be used.
    type: str
    aliases: [ aws_session_token ]
requirements:
  - boto3
  - botocore
notes:
  - Environment variables and configuration files are read on the managed host, not on the controller, so by
    default the checks run with the credentials the host itself would mount with.
  - Setting O(profile) to an empty string disables a profile found in the environment, for example when keys are
    passed explicitly.
'''

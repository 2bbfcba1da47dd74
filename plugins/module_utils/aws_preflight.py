# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mountkit.aws maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 plumbing shared by the mountkit.aws modules that call AWS.

Sorts AWS errors into the few kinds a check reports differently (denied, bad credentials, not found,
unreachable, anything else) and gives AnsibleAWSModule clients the short timeouts of a check. For
io_semantics, whose optional S3 listing is not an AWS module's job, it also builds a client from connection
options named like amazon.aws's (``aws_connection_argument_spec``).

boto3 is optional at import time so that modules import (and fail with a clear message) without it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

BOTO3_IMP_ERR = None
try:
    import boto3
    import botocore.config
    import botocore.exceptions
    HAS_BOTO3 = True
except ImportError:
    BOTO3_IMP_ERR = traceback.format_exc()
    HAS_BOTO3 = False

USER_AGENT = 'mountkit.aws-preflight'

# Error kinds returned by error_kind().
DENIED = 'denied'
CREDENTIALS = 'credentials'
NOT_FOUND = 'not_found'
UNREACHABLE = 'unreachable'
OTHER = 'error'

# Codes meaning "the identity is known but may not do this".
_DENIED_CODES = frozenset((
    'AccessDenied', 'AccessDeniedException', 'AllAccessDisabled', 'UnauthorizedOperation', 'Forbidden',
    'UnauthorizedAccess', 'AuthorizationError',
))
# Codes meaning "the credentials themselves are wrong or stale"; nothing else can be checked with them.
_CREDENTIAL_CODES = frozenset((
    'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'InvalidToken',
    'InvalidClientTokenId', 'UnrecognizedClientException', 'AuthFailure', 'TokenRefreshRequired',
    'RequestExpired',
))


def aws_connection_argument_spec():
    """Connection options named like amazon.aws's, with its aliases and environment fallbacks."""
    return dict(
        region=dict(type='str', aliases=['aws_region'],
                    fallback=(env_fallback, ['AWS_REGION', 'AWS_DEFAULT_REGION'])),
        profile=dict(type='str', aliases=['aws_profile'],
                     fallback=(env_fallback, ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE'])),
        endpoint_url=dict(type='str', aliases=['aws_endpoint_url'],
                          fallback=(env_fallback, ['AWS_ENDPOINT_URL', 'AWS_URL'])),
        access_key=dict(type='str', aliases=['aws_access_key_id', 'aws_access_key'], no_log=False,
                        fallback=(env_fallback, ['AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY'])),
        secret_key=dict(type='str', aliases=['aws_secret_access_key', 'aws_secret_key'], no_log=True,
                        fallback=(env_fallback, ['AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_KEY'])),
        session_token=dict(type='str', aliases=['aws_session_token'], no_log=True,
                           fallback=(env_fallback, ['AWS_SESSION_TOKEN'])),
    )


def require_boto3(module):
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib('boto3'), exception=BOTO3_IMP_ERR)


def exit_with_result(module, result):
    """End a preflight module: fail when it found problems and fail_on_problems is set."""
    if result['problems'] and module.params['fail_on_problems']:
        module.fail_json(**result)
    module.exit_json(**result)


def aws_session(module):
    """A boto3 session from the module's connection options; fails the module on a bad combination."""
    params = module.params
    profile = params.get('profile') or None
    keys = dict(
        aws_access_key_id=params.get('access_key') or None,
        aws_secret_access_key=params.get('secret_key') or None,
        aws_session_token=params.get('session_token') or None,
    )
    if profile and any(keys.values()):
        # As amazon.aws: a profile and keys together are ambiguous, so neither silently wins.
        module.fail_json(msg='profile and access_key/secret_key/session_token are mutually exclusive; '
                             'pass one of them (set profile to an empty string to ignore AWS_PROFILE)')
    if bool(keys['aws_access_key_id']) != bool(keys['aws_secret_access_key']):
        module.fail_json(msg='access_key and secret_key must be given together')
    try:
        if profile:
            return boto3.session.Session(profile_name=profile)
        return boto3.session.Session(**keys)
    except botocore.exceptions.ProfileNotFound as e:
        module.fail_json(msg='AWS profile %r not found in the AWS config or credentials files of the managed '
                             'host: %s' % (profile, e))


def preflight_config():
    """A preflight should answer quickly: a few retries for throttling, short timeouts."""
    return botocore.config.Config(
        user_agent_extra=USER_AGENT,
        retries=dict(mode='standard'),
        connect_timeout=10,
        read_timeout=30,
    )


def preflight_client(module, service, region=None):
    """A boto3 client from an AnsibleAWSModule, with the preflight's timeouts; ``region`` overrides the module's."""
    extra = dict(config=preflight_config())
    if region:
        extra['region'] = region
    return module.client(service, **extra)


def aws_client(module, service, region=None, session=None):
    """A boto3 client for ``service``; ``region`` overrides the module's region option."""
    session = session or aws_session(module)
    config = preflight_config()
    try:
        return session.client(service, region_name=region or module.params.get('region') or None,
                              endpoint_url=module.params.get('endpoint_url') or None, config=config)
    except botocore.exceptions.NoRegionError:
        module.fail_json(msg='%s needs a region: set region (or AWS_REGION) to the region of the resources'
                             % module._name)
    except (ValueError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json(msg='Could not create the %s client: %s' % (service, e), exception=traceback.format_exc())


def error_code(exc):
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, 'response', None) or {}
    return str(response.get('Error', {}).get('Code', ''))


def http_status(exc):
    response = getattr(exc, 'response', None) or {}
    return response.get('ResponseMetadata', {}).get('HTTPStatusCode')


def error_headers(exc):
    response = getattr(exc, 'response', None) or {}
    return response.get('ResponseMetadata', {}).get('HTTPHeaders', {}) or {}


def error_kind(exc):
    """Sort an exception from a boto3 call into DENIED, CREDENTIALS, NOT_FOUND, UNREACHABLE or OTHER."""
    if not HAS_BOTO3:
        return OTHER
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        if code in _CREDENTIAL_CODES:
            return CREDENTIALS
        # HEAD requests carry no body, so S3 errors on them have the bare status as their code.
        if code in _DENIED_CODES or code == '403':
            return DENIED
        if code == '404' or code.startswith('NoSuch') or code.endswith('NotFound') or code.endswith('.NotFound'):
            return NOT_FOUND
        return OTHER
    if isinstance(exc, (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError,
                        botocore.exceptions.CredentialRetrievalError)):
        return CREDENTIALS
    if isinstance(exc, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                        botocore.exceptions.ReadTimeoutError)):
        return UNREACHABLE
    return OTHER


def describe_error(exc):
    """A one-line description, e.g. 'AccessDenied: Access Denied'."""
    if HAS_BOTO3 and isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get('Error', {})
        code = error_code(exc)
        message = error.get('Message') or ''
        if code in ('403', '404') and not message:
            message = 'Forbidden' if code == '403' else 'Not Found'
        return '%s: %s' % (code, message) if message else code
    return '%s: %s' % (type(exc).__name__, exc)


def aws_errors():
    """The exception classes a boto3 call raises for AWS or transport failures (for ``except``)."""
    return (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)


def partition(region):
    """The ARN partition of a region, for the ARNs named in messages."""
    region = region or ''
    if region.startswith('cn-'):
        return 'aws-cn'
    if region.startswith('us-gov-'):
        return 'aws-us-gov'
    if region.startswith('us-iso-'):
        return 'aws-iso'
    if region.startswith('us-isob-'):
        return 'aws-iso-b'
    return 'aws'

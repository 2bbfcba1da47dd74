# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test bed's S3 server answers like a general purpose bucket, also where moto alone would not."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import http.client
import urllib.parse
import xml.etree.ElementTree as ET

import botocore.exceptions
import pytest


def raw_put(server, path, headers, body=b''):
    """An unsigned PUT (moto does not check signatures unless told to), answered as (status, parsed XML)."""
    url = urllib.parse.urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request('PUT', path, body=body, headers=dict(headers, **{'Content-Length': str(len(body))}))
        response = connection.getresponse()
        text = response.read()
        # The connection stays usable after a refusal: the refused body was read by the server.
        connection.request('GET', '/%s?list-type=2' % server.bucket)
        follow_up = connection.getresponse()
        follow_up.read()
        assert follow_up.status == 200
    finally:
        connection.close()
    return response.status, ET.fromstring(text) if text else None


def test_rename_object_is_not_implemented_and_changes_nothing(shared_s3_server):
    client = shared_s3_server.client()
    bucket = shared_s3_server.bucket
    client.put_object(Bucket=bucket, Key='rename/src.dat', Body=b'x' * 8192)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.rename_object(Bucket=bucket, Key='rename/dst.dat', RenameSource='rename/src.dat')
    error = caught.value.response
    assert error['ResponseMetadata']['HTTPStatusCode'] == 501
    assert error['Error']['Code'] == 'NotImplemented'
    assert client.get_object(Bucket=bucket, Key='rename/src.dat')['Body'].read() == b'x' * 8192
    listed = client.list_objects_v2(Bucket=bucket, Prefix='rename/')
    assert [item['Key'] for item in listed['Contents']] == ['rename/src.dat']


def test_raw_rename_request_gets_an_s3_xml_error(shared_s3_server):
    status, error = raw_put(shared_s3_server, '/%s/raw-dst?renameObject' % shared_s3_server.bucket,
                            {'x-amz-rename-source': 'raw-src', 'If-None-Match': '*'})
    assert status == 501
    assert error.tag == 'Error' and error.findtext('Code') == 'NotImplemented'
    assert error.findtext('Header') == 'x-amz-rename-source'
    assert error.findtext('RequestId')


def test_append_with_write_offset_is_refused_and_keeps_the_object(shared_s3_server):
    client = shared_s3_server.client()
    bucket = shared_s3_server.bucket
    client.put_object(Bucket=bucket, Key='append.log', Body=b'first line\n')
    status, error = raw_put(shared_s3_server, '/%s/append.log' % bucket, {'x-amz-write-offset-bytes': '11'},
                            body=b'second line\n')
    assert status == 501 and error.findtext('Header') == 'x-amz-write-offset-bytes'
    assert client.get_object(Bucket=bucket, Key='append.log')['Body'].read() == b'first line\n'


def test_everything_else_still_reaches_moto(shared_s3_server):
    client = shared_s3_server.client()
    bucket = shared_s3_server.bucket
    client.put_object(Bucket=bucket, Key='plain.dat', Body=b'abc')
    client.copy_object(Bucket=bucket, Key='copy.dat', CopySource={'Bucket': bucket, 'Key': 'plain.dat'})
    assert client.get_object(Bucket=bucket, Key='copy.dat', Range='bytes=1-2')['Body'].read() == b'bc'
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.put_object(Bucket=bucket, Key='plain.dat', Body=b'new', IfNoneMatch='*')
    assert caught.value.response['ResponseMetadata']['HTTPStatusCode'] == 412
    shared_s3_server.api('/moto-api/reset-auth', 'inf')  # the control API answers too

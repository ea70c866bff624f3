"""A request too large to buffer that cannot stream is answered with a native
413, without the gateway holding its body and without AWS seeing it."""

import botocore.exceptions
import pytest

from tests.e2e import close_lab, open_lab


@pytest.fixture(scope="module")
def lab(moto, tmp_path_factory):
    lab = open_lab(moto, tmp_path_factory.mktemp("limits"), chaperone_body_limit="100k")
    lab.client("dynamodb").create_table(
        TableName="limit-table", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    yield lab
    close_lab(lab)


def test_oversized_body_gets_a_native_413(lab):
    before = lab.moto.log.read_text().count('HTTP/1.1"')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lab.client("dynamodb").put_item(TableName="limit-table", Item={"id": {"S": "big"}, "v": {"S": "x" * 200_000}})
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert err["Error"]["Code"] == "RequestEntityTooLarge" and "chaperone_body_limit=100k" in err["Error"]["Message"]
    assert lab.moto.log.read_text().count('HTTP/1.1"') == before
    # the gateway goes on serving
    lab.client("dynamodb").put_item(TableName="limit-table", Item={"id": {"S": "small"}})
    rec = [f.metadata["chaperone"] for f in lab.gateway.flows() if "refused" in f.metadata.get("chaperone", {})]
    assert rec and rec[0]["call"]["operation"] == "PutItem" and "signed" not in rec[0]

"""Seeds moto's IAM before signature checks are switched on, then switches them on.

Creates two users with access keys:
  - gatehouse-functions: the user the functions sign as. Its inline policy holds the
    union of the actions the functions' policies in template.yaml grant, so a missing
    permission in the template shows up locally as an AccessDenied.
  - gatehouse-operator: allowed everything; used by bootstrap and test setup.
  - the admin group (ADMIN_GROUP_NAME, default QrveyAdmin), gatehouse-admin in it and
    gatehouse-visitor not, for signing in to the admin API locally.
  - the verified SES sender: moto's SES v2 SendEmail refuses a sender that its SES v1
    VerifyEmailIdentity has not verified. It verifies the local default sender
    (LOCAL_SENDER, README "Reading sent mail locally") and EMAIL_FROM when set.
Then POSTs /moto-api/reset-auth with 0, after which moto checks signatures and policies.
Writes {"env": {...}} with the variables to export.
"""
import argparse
import json
import os
import urllib.request

import boto3
from cfnlint.decode import cfn_yaml

# Services moto serves for Gatehouse; actions of other services (DynamoDB is
# DynamoDB Local) do not matter to moto.
MOTO_SERVICES = ("secretsmanager:", "iam:", "sts:", "ses:")

# The sender `make run` and the tests use (local/run.sh, tests/src/lib.rs).
LOCAL_SENDER = "noreply@gatehouse.local"


def statements(node):
    """The policies or statements in `node`, both branches of an `Fn::If` (a
    conditional statement is granted locally: the local stack sets what it needs),
    never `AWS::NoValue`."""
    if isinstance(node, list):
        for item in node:
            yield from statements(item)
    elif isinstance(node, dict) and "Fn::If" in node:
        _, yes, no = node["Fn::If"]
        yield from statements(yes)
        yield from statements(no)
    elif isinstance(node, dict) and node.get("Ref") != "AWS::NoValue":
        yield node


def template_actions(path):
    """Actions granted to any function in template.yaml (inline statements)."""
    tpl = cfn_yaml.load(path)
    actions = set()
    for res in tpl.get("Resources", {}).values():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for pol in statements(res.get("Properties", {}).get("Policies", []) or []):
            for st in statements(pol.get("Statement", []) or []):
                if st.get("Effect") != "Allow":
                    continue
                acts = st.get("Action", [])
                actions.update([acts] if isinstance(acts, str) else acts)
    return sorted(a for a in actions if a.startswith(MOTO_SERVICES))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    endpoint = os.environ["MOTO_URL"]
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )

    def user(name, actions):
        iam.create_user(UserName=name)
        if actions:
            iam.put_user_policy(
                UserName=name,
                PolicyName=f"{name}-policy",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                    }
                ),
            )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    fn_id, fn_secret = user("gatehouse-functions", template_actions(args.template))
    op_id, op_secret = user("gatehouse-operator", ["*"])
    # The admin group (it needs no permissions) with one member, and a user outside it.
    group = os.environ.get("ADMIN_GROUP_NAME", "QrveyAdmin")
    iam.create_group(GroupName=group)
    admin_id, admin_secret = user("gatehouse-admin", [])
    iam.add_user_to_group(GroupName=group, UserName="gatehouse-admin")
    visitor_id, visitor_secret = user("gatehouse-visitor", [])
    ses = boto3.client(
        "ses",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SES", endpoint),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    for sender in sorted({LOCAL_SENDER, os.environ.get("EMAIL_FROM", "").strip()} - {""}):
        ses.verify_email_identity(EmailAddress=sender)
    req = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=b"0",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=5).read()
    env = {
        "AWS_ACCESS_KEY_ID": fn_id,
        "AWS_SECRET_ACCESS_KEY": fn_secret,
        "GATEHOUSE_OPERATOR_ACCESS_KEY_ID": op_id,
        "GATEHOUSE_OPERATOR_SECRET_ACCESS_KEY": op_secret,
    }
    demo = {
        "admin": {"userName": "gatehouse-admin", "accessKeyId": admin_id, "secretAccessKey": admin_secret},
        "non_admin": {"userName": "gatehouse-visitor", "accessKeyId": visitor_id, "secretAccessKey": visitor_secret},
        "admin_group": group,
    }
    with open(args.out, "w") as f:
        json.dump({"env": env, "demo": demo}, f)


if __name__ == "__main__":
    main()

import { Stack, Token, Validations, type CfnResource } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag AwsSolutions findings on onebox's own resources, each with the reason
 * it is fine. Through CDK's Validations (cdk-nag 3 reads them), so onebox/aws needs no
 * cdk-nag at run time; the reasons show in the validation report. A finding with details
 * (IAM4, IAM5) is acknowledged by its exact id, never the whole rule.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason });
}

/** The managed policy every Lambda role CDK makes carries. */
export function acknowledgeLogsOnlyRole(fn: IConstruct): void {
  acknowledge(
    fn,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AWSLambdaBasicExecutionRole only lets the function write its own logs',
  );
}

/** `lambda:InvokeFunction` on `target` and its versions (`arn:...:function:name:*`), as CDK grants it. */
export function acknowledgeInvokeVersions(scope: IConstruct, target: lambda.IFunction, reason: string): void {
  const logicalId = Stack.of(target).resolve((target.node.defaultChild as CfnResource).logicalId) as string;
  acknowledge(scope, `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`, reason);
}

/** `logs:StartQuery` on `fn`'s log group (`log-group:/aws/lambda/<name>:*`: the log group's own ARN form). */
export function acknowledgeLogGroupQuery(scope: IConstruct, fn: lambda.IFunction, reason: string): void {
  const stack = Stack.of(scope);
  const pseudo = (value: string, name: string): string => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
  const child = fn.node.defaultChild;
  const name = child ? `<${stack.resolve((child as CfnResource).logicalId) as string}>` : fn.functionName;
  const arn = `arn:<AWS::Partition>:logs:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}:log-group:/aws/lambda/${name}:*`;
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${arn}]`, reason);
}

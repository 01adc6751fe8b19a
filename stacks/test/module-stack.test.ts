import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { App, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { expect } from 'chai';
import { Input, Rule } from '../lib/inputs';
import { ModuleStack } from '../lib/module-stack';
import { synthesizeModule, synthesizeStack } from '../lib/module-synthesis';

class ExampleStack extends ModuleStack {
  constructor(scope: Construct, id: string, collide = false) {
    super(scope, id, { purpose: 'An example module.' });
    const name = Input.string(this, 'bucket_suffix', {
      description: 'Suffix.',
      validation: [Rule.matches('^[a-z]+$', 'lowercase letters')],
    });
    const group = new Construct(this, 'logs');
    new S3Bucket(group, 'bucket', { bucket: `${this.namePrefix}-${name.stringValue}` });
    if (collide) new S3Bucket(this, 'logs_bucket', { bucket: 'other' });
    this.output('bucket_suffix', { value: name.stringValue, description: 'The suffix.' });
  }
}

describe('ModuleStack', function () {
  it('declares project, environment (validated), region and tags for AWS modules', function () {
    const tf = synthesizeStack(new ExampleStack(new App(), 'example'));
    expect(Object.keys(tf.variable ?? {})).to.include.members([
      'project',
      'environment',
      'region',
      'tags',
    ]);
    expect(tf.variable?.project?.default).to.equal('payflow');
    expect(tf.variable?.environment?.validation?.[0]?.condition).to.equal(
      '${contains(["development", "staging", "production"], var.environment)}',
    );
    expect(tf.variable?.tags?.default).to.deep.equal({});
  });

  it('feeds the tags input into the provider default_tags', function () {
    const tf = synthesizeStack(new ExampleStack(new App(), 'example')) as {
      provider?: { aws?: { default_tags?: { tags?: string }[] }[] };
    };
    expect(tf.provider?.aws?.[0]?.default_tags?.[0]?.tags).to.match(/^\$\{merge\(var\.tags, /);
  });

  it('gives resources readable addresses (path joined with _) and outputs their exact name', function () {
    const tf = synthesizeStack(new ExampleStack(new App(), 'example'));
    expect(Object.keys(tf.resource?.aws_s3_bucket ?? {})).to.deep.equal(['logs_bucket']);
    expect(Object.keys(tf.output ?? {})).to.deep.equal(['bucket_suffix']);
  });

  it('refuses two resources of one type that would get the same address', function () {
    expect(() => Testing.synth(new ExampleStack(new App(), 'example', true))).to.throw(
      /logs_bucket/,
    );
  });

  it('renders validation rules as Terraform conditions on the variable', function () {
    const tf = synthesizeStack(new ExampleStack(new App(), 'example'));
    expect(tf.variable?.bucket_suffix?.validation).to.deep.equal([
      {
        condition: '${can(regex("^[a-z]+$", var.bucket_suffix))}',
        error_message: 'Must be lowercase letters.',
      },
    ]);
  });

  it('generates a README with purpose, inputs and outputs tables', function () {
    const { readme } = synthesizeModule(new ExampleStack(new App(), 'example'));
    expect(readme).to.contain('An example module.');
    expect(readme).to.match(
      /\| `bucket_suffix` \| Suffix\. Rule: Must be lowercase letters\. \| `string` \| n\/a \| yes \|/,
    );
    expect(readme).to.match(/\| `project` \| .* \| `string` \| `"payflow"` \| no \|/);
    expect(readme).to.contain('| `bucket_suffix` | The suffix. |');
  });
});

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { failedSetting, sendFailureWords } from '../../../src/core/runtime/metrics-errors.js';
import { Metrics } from '../../../src/core/runtime/metrics.js';
import { settingsProblem, settingsSchema } from '../../../src/core/state/settings.js';
import { tempDir } from '../../helpers/helpers.js';

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });
const SYSTEM_WORDS = /getaddrinfo|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENOENT|EACCES|connect |sendto/;

describe('why metrics do not get through, in words that say what to check', () => {
  test('a host that cannot be found is named, with what to check, and points at the host setting', () => {
    const udp = { kind: 'udp' as const, host: 'foo.invalid', port: 8125 };
    const words = sendFailureWords(failure('ENOTFOUND', 'getaddrinfo ENOTFOUND foo.invalid'), udp);
    assert.equal(words, "cannot find the host 'foo.invalid': check the name");
    assert.equal(failedSetting(words), 'host');
    const refused = sendFailureWords(failure('ECONNREFUSED', 'send ECONNREFUSED 127.0.0.1:8125'), { ...udp, host: '127.0.0.1' });
    assert.match(refused, /^nothing is listening on 127\.0\.0\.1:8125: check the port/);
    assert.equal(failedSetting(refused), 'port');
    assert.match(sendFailureWords(failure('EAI_AGAIN', 'getaddrinfo EAI_AGAIN foo'), udp), /^could not look up the host 'foo\.invalid'/);
  });

  test('a socket that is missing, refused or forbidden is named with what to check', () => {
    const socket = { kind: 'unixgram' as const, path: '/run/dd/dsd.socket' };
    for (const code of ['ENOENT', 'ECONNREFUSED', 'EACCES']) {
      const words = sendFailureWords(failure(code, `connect ${code} /run/dd/dsd.socket`), socket);
      assert.doesNotMatch(words, SYSTEM_WORDS, words);
      assert.match(words, /\/run\/dd\/dsd\.socket: check/);
      assert.equal(failedSetting(words), 'socket');
    }
  });

  test('the datagram socket\'s native errors, which carry only the system\'s sentence, get the same words', () => {
    const words = sendFailureWords(new Error('No such file or directory (/run/dd/dsd.socket)'), { kind: 'unixgram', path: '/run/dd/dsd.socket' });
    assert.equal(words, 'there is no socket at /run/dd/dsd.socket: check the path, and that the Datadog agent runs');
  });

  test('an error without better words keeps its own; one that is no setting\'s fault marks none', () => {
    assert.equal(sendFailureWords(failure('EMSGSIZE', 'send EMSGSIZE'), { kind: 'udp', host: 'h', port: 1 }), 'send EMSGSIZE');
    assert.equal(sendFailureWords(new Error('odd'), null), 'odd');
    assert.equal(failedSetting('send EMSGSIZE'), null);
    assert.equal(failedSetting(null), null);
  });

  test('a real send to a host that does not exist: the health says so in these words and marks the host', { timeout: 30_000 }, async () => {
    const metrics = new Metrics({ enabled: true, host: 'no-such-host.invalid', port: 8125, socket: null, tags: [] });
    metrics.storeGauges({ bytes: 1, freeBytes: 1 });
    await metrics.flush(20_000);
    const health = metrics.health();
    await metrics.close();
    assert.ok(health.lastError, 'an error was recorded');
    assert.doesNotMatch(health.lastError, SYSTEM_WORDS, health.lastError);
    assert.match(health.lastError, /^(cannot find the host 'no-such-host\.invalid': check the name|could not look up the host 'no-such-host\.invalid')/);
    assert.equal(health.lastErrorSetting, 'host');
  });

  test('a real send to a socket that does not exist, stream or datagram: the same', async () => {
    const dir = await tempDir();
    for (const socket of [`unix://${path.join(dir, 'none.socket')}`, path.join(dir, 'none.socket')]) {
      const metrics = new Metrics({ enabled: true, host: '127.0.0.1', port: 8125, socket, tags: [] });
      metrics.storeGauges({ bytes: 1, freeBytes: 1 });
      await metrics.flush(10_000);
      const health = metrics.health();
      await metrics.close();
      assert.match(health.lastError ?? '', /^there is no socket at .*none\.socket: check the path/, socket);
      assert.equal(health.lastErrorSetting, 'socket');
    }
  });

  test('a host the settings refuse is said in one whole sentence, not a cut-off schema phrase', () => {
    const parsed = settingsSchema.safeParse({ statsd: { host: 'bad host!' } });
    assert.ok(!parsed.success);
    assert.equal(settingsProblem(parsed.error.issues[0], {}), 'metrics: the host: must be a host name or IP address, such as 127.0.0.1 or dd-agent (letters, digits, dots, dashes and colons only)');
    const port = settingsSchema.safeParse({ statsd: { port: 99_999 } });
    assert.ok(!port.success);
    assert.equal(settingsProblem(port.error.issues[0], {}), 'metrics: the port: must be a whole number from 1 to 65535');
  });
});

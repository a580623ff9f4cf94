import t from 'tap';
import { describeError, describeStackTrace, javaSerializedThrowable, modifiedUtf8, serializedThrowableJson } from '../../../../src/master/rest/SerializedThrowable.js';

// Java's own reading of these bytes (ObjectInputStream, Flink's SerializedThrowable) is checked by
// test/it/flink-stock-cli.test.ts; here the parts that need no JVM.

t.test("modified UTF-8 is Java's: NUL in two bytes, a supplementary character as two three-byte surrogates", async (t) => {
  t.same([...modifiedUtf8('a\u0000é€')], [0x61, 0xc0, 0x80, 0xc3, 0xa9, 0xe2, 0x82, 0xac]);
  t.same([...modifiedUtf8('😀')], [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]);
});

t.test("an error becomes Flink's JSON: class, stack trace and the Java-serialized SerializedThrowable", async (t) => {
  const cause = new Error('the disk is gone');
  const error = Object.assign(new Error("Cannot find checkpoint or savepoint file/directory '/nope' on file system 'file'.", { cause }), {
    javaClassName: 'java.io.FileNotFoundException',
  });
  const description = describeError(error);
  t.equal(description.className, 'java.io.FileNotFoundException');
  t.equal(description.message, error.message);
  t.match(description.stackTrace, /^java\.io\.FileNotFoundException: Cannot find checkpoint or savepoint file\/directory '\/nope' on file system 'file'\.\n\tat [^\n]+\(SerializedThrowable\.test\.ts:\d+\)\n/);
  t.notMatch(description.stackTrace, '/test/unit/', 'file names only, no paths');
  t.ok(description.frames.length > 0);
  t.match(description.frames[0], { declaringClass: String, methodName: String, fileName: 'SerializedThrowable.test.ts', lineNumber: Number });
  t.equal(description.cause?.className, 'org.apache.flink.util.FlinkException', 'a plain Error is a FlinkException');

  const json = serializedThrowableJson(description);
  t.same(Object.keys(json), ['class', 'stack-trace', 'serialized-throwable']);
  const bytes = Buffer.from(json['serialized-throwable'] as string, 'base64');
  t.same([...bytes.subarray(0, 5)], [0xac, 0xed, 0x00, 0x05, 0x73], 'a Java object stream holding an object');
  t.ok(bytes.includes(Buffer.from('org.apache.flink.util.SerializedThrowable')));
  t.equal(bytes.indexOf(Buffer.from('org.apache.flink.util.SerializedThrowable')), bytes.lastIndexOf(Buffer.from('org.apache.flink.util.SerializedThrowable')), 'the class is described once; the cause refers to it');
});

t.test('a message longer than 65535 bytes is written as a long string', async (t) => {
  const long = 'x'.repeat(70_000);
  const bytes = javaSerializedThrowable({ className: 'C', message: long, stackTrace: long, frames: [] });
  t.ok(bytes.includes(Buffer.from([0x7c, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70])), 'TC_LONGSTRING with an eight-byte length');
});

t.test("a job's root exception known only by class and trace text", async (t) => {
  t.same(describeStackTrace('java.lang.RuntimeException', 'java.lang.RuntimeException: boom\n\tat x'), {
    className: 'java.lang.RuntimeException',
    message: 'boom',
    stackTrace: 'java.lang.RuntimeException: boom\n\tat x',
    frames: [],
  });
});

t.test('frames of every shape V8 prints', async (t) => {
  const error = new Error('x');
  error.stack = ['Error: x', '    at Foo.bar (file:///a/b/Foo.js:12:5)', '    at async run (/c/d.js:3:1)', '    at file:///e/f.js:9:2', '    at new Thing (<anonymous>)'].join('\n');
  t.same(describeError(error).frames, [
    { declaringClass: 'Foo', methodName: 'bar', fileName: 'Foo.js', lineNumber: 12 },
    { declaringClass: '<module>', methodName: 'run', fileName: 'd.js', lineNumber: 3 },
    { declaringClass: '<module>', methodName: '<anonymous>', fileName: 'f.js', lineNumber: 9 },
    { declaringClass: '<module>', methodName: 'new Thing', fileName: '<anonymous>', lineNumber: -1 },
  ]);
});

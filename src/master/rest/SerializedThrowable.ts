/**
 * Flink's SerializedThrowable as its REST API sends it (SerializedThrowableSerializer): the original exception's class,
 * its stack trace as text, and `serialized-throwable`, the base64 of a Java-serialized
 * `org.apache.flink.util.SerializedThrowable`. Flink's own client (RestClusterClient, the `flink` CLI) reads a failed
 * operation's cause only from those bytes, with ObjectInputStream; without them it cannot parse the answer and polls
 * until `client.timeout`.
 *
 * The bytes are written here in Java's object serialization stream format (the Java Object Serialization
 * Specification, chapter 6), for exactly the classes involved: SerializedThrowable, its superclasses Exception and
 * Throwable, and StackTraceElement. `serializedException` (the original exception's own bytes) is null, as Flink writes
 * it when the original cannot be serialized; Flink's client then uses the SerializedThrowable itself, whose toString is
 * `<original class>: <message>`.
 */

/** A failure as Flink's client should see it. */
export interface ThrowableDescription {
  /** The Java class name shown to the user, e.g. `java.io.FileNotFoundException`. */
  className: string;
  message: string;
  /** The whole trace as text, printed by SerializedThrowable.printStackTrace. */
  stackTrace: string;
  /** Frames of the trace (`at fn (file:line:col)` lines of a JavaScript stack become StackTraceElements). */
  frames: readonly StackFrame[];
  cause?: ThrowableDescription;
}

export interface StackFrame {
  declaringClass: string;
  methodName: string;
  fileName: string | null;
  lineNumber: number;
}

/** The JSON Flink's SerializedThrowableSerializer writes (Flink 1.20: class, stack-trace, serialized-throwable). */
export function serializedThrowableJson(throwable: ThrowableDescription): Record<string, unknown> {
  return {
    class: throwable.className,
    'stack-trace': throwable.stackTrace,
    'serialized-throwable': javaSerializedThrowable(throwable).toString('base64'),
  };
}

/** How deep a chain of causes is followed (Flink truncates cyclic chains; JavaScript's `cause` may be anything). */
const MAX_CAUSES = 16;

/** The description of a JavaScript error: its Java class name from `javaClassName`, else from its name. */
export function describeError(error: unknown, depth = 0): ThrowableDescription {
  if (!(error instanceof Error)) {
    const text = String(error);
    return { className: 'org.apache.flink.util.FlinkException', message: text, stackTrace: `org.apache.flink.util.FlinkException: ${text}`, frames: [] };
  }
  const className = javaClassNameOf(error);
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map(parseFrame);
  // As Java prints a trace, and with file names only: where tsflink is installed is none of a REST client's business.
  const lines = [`${className}: ${error.message}`, ...frames.map((f) => `\tat ${f.declaringClass}.${f.methodName}(${f.fileName ?? 'Unknown Source'}${f.lineNumber >= 0 ? `:${f.lineNumber}` : ''})`)];
  const description: ThrowableDescription = { className, message: error.message, stackTrace: `${lines.join('\n')}\n`, frames };
  if (error.cause !== undefined && error.cause !== null && depth < MAX_CAUSES) description.cause = describeError(error.cause, depth + 1);
  return description;
}

/** The description of a failure known only by its class name and stack trace text (a job's root exception). */
export function describeStackTrace(className: string, stackTrace: string): ThrowableDescription {
  const firstLine = stackTrace.split('\n', 1)[0] ?? '';
  const message = firstLine.startsWith(`${className}: `) ? firstLine.slice(className.length + 2) : firstLine;
  return { className, message, stackTrace, frames: [] };
}

/**
 * The Java class an error stands for: its own `javaClassName` when it has one (errors that mirror a Flink or JDK
 * exception, e.g. FlinkJobNotFoundException); FlinkException for a plain Error; else the error's name.
 */
function javaClassNameOf(error: Error): string {
  const declared = (error as { javaClassName?: unknown }).javaClassName;
  if (typeof declared === 'string' && declared) return declared;
  return error.name === 'Error' || error.name === 'FlinkException' ? 'org.apache.flink.util.FlinkException' : error.name;
}

/** `at Class.method (file:///dir/File.js:12:34)`, `at method (file:12:34)` or `at file:12:34`. */
function parseFrame(line: string): StackFrame {
  const text = line.trim().replace(/^at /, '').replace(/^async /, '');
  const withName = /^(.*?) \((.*)\)$/.exec(text);
  const callee = withName ? withName[1]! : '<anonymous>';
  const location = withName ? withName[2]! : text;
  const place = /^(.*):(\d+):\d+$/.exec(location);
  const file = place ? place[1]! : location;
  const dot = callee.lastIndexOf('.');
  return {
    declaringClass: dot > 0 ? callee.slice(0, dot) : '<module>',
    methodName: dot > 0 ? callee.slice(dot + 1) : callee,
    fileName: file.slice(file.lastIndexOf('/') + 1) || null,
    lineNumber: place ? Number(place[2]) : -1,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Java's object serialization stream, as far as these classes need it.

const STREAM_MAGIC = 0xaced;
const STREAM_VERSION = 5;
const TC_NULL = 0x70;
const TC_REFERENCE = 0x71;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ARRAY = 0x75;
const TC_ENDBLOCKDATA = 0x78;
const TC_LONGSTRING = 0x7c;
const BASE_WIRE_HANDLE = 0x7e0000;
const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;

interface FieldDescription {
  /** The type code: B, I (primitives), L (object) or [ (array). */
  code: 'B' | 'I' | 'L' | '[';
  name: string;
  /** The field's type as a JVM signature, for object and array fields. */
  signature?: string;
}

interface ClassDescription {
  name: string;
  serialVersionUID: bigint;
  flags: number;
  /** In the order Java writes them: primitives first, then objects, each sorted by name. */
  fields: FieldDescription[];
  superclass?: ClassDescription;
}

const THROWABLE: ClassDescription = {
  name: 'java.lang.Throwable',
  serialVersionUID: -3042686055658047285n,
  // Throwable has a writeObject method: its field values are followed by an end-of-block marker.
  flags: SC_SERIALIZABLE | SC_WRITE_METHOD,
  fields: [
    { code: 'L', name: 'cause', signature: 'Ljava/lang/Throwable;' },
    { code: 'L', name: 'detailMessage', signature: 'Ljava/lang/String;' },
    { code: '[', name: 'stackTrace', signature: '[Ljava/lang/StackTraceElement;' },
    { code: 'L', name: 'suppressedExceptions', signature: 'Ljava/util/List;' },
  ],
};
const EXCEPTION: ClassDescription = { name: 'java.lang.Exception', serialVersionUID: -3387516993124229948n, flags: SC_SERIALIZABLE, fields: [], superclass: THROWABLE };
const SERIALIZED_THROWABLE: ClassDescription = {
  name: 'org.apache.flink.util.SerializedThrowable',
  serialVersionUID: 7284183123441947635n,
  flags: SC_SERIALIZABLE,
  fields: [
    { code: 'L', name: 'fullStringifiedStackTrace', signature: 'Ljava/lang/String;' },
    { code: 'L', name: 'originalErrorClassName', signature: 'Ljava/lang/String;' },
    { code: '[', name: 'serializedException', signature: '[B' },
  ],
  superclass: EXCEPTION,
};
const STACK_TRACE_ELEMENT: ClassDescription = {
  name: 'java.lang.StackTraceElement',
  serialVersionUID: 6992337162326171013n,
  flags: SC_SERIALIZABLE,
  fields: [
    { code: 'B', name: 'format' },
    { code: 'I', name: 'lineNumber' },
    { code: 'L', name: 'classLoaderName', signature: 'Ljava/lang/String;' },
    { code: 'L', name: 'declaringClass', signature: 'Ljava/lang/String;' },
    { code: 'L', name: 'fileName', signature: 'Ljava/lang/String;' },
    { code: 'L', name: 'methodName', signature: 'Ljava/lang/String;' },
    { code: 'L', name: 'moduleName', signature: 'Ljava/lang/String;' },
    { code: 'L', name: 'moduleVersion', signature: 'Ljava/lang/String;' },
  ],
};
const STACK_TRACE_ELEMENT_ARRAY: ClassDescription = { name: '[Ljava.lang.StackTraceElement;', serialVersionUID: 163864874655228473n, flags: SC_SERIALIZABLE, fields: [] };

/** The bytes of `new ObjectOutputStream(out).writeObject(serializedThrowable)` for the described throwable. */
export function javaSerializedThrowable(throwable: ThrowableDescription): Buffer {
  const out = new ObjectStreamWriter();
  out.writeThrowable(throwable, 0);
  return out.toBuffer();
}

class ObjectStreamWriter {
  private readonly chunks: Buffer[] = [];
  private nextHandle = BASE_WIRE_HANDLE;
  private readonly classHandles = new Map<string, number>();

  constructor() {
    this.u2(STREAM_MAGIC);
    this.u2(STREAM_VERSION);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  writeThrowable(throwable: ThrowableDescription, depth: number): void {
    this.u1(TC_OBJECT);
    this.classDescription(SERIALIZED_THROWABLE);
    this.nextHandle++;
    // Class data from the topmost serializable superclass down: Throwable, Exception (no fields), SerializedThrowable.
    if (throwable.cause && depth < MAX_CAUSES) this.writeThrowable(throwable.cause, depth + 1);
    else this.u1(TC_NULL);
    this.string(throwable.message);
    this.stackTrace(throwable.frames);
    this.u1(TC_NULL); // suppressedExceptions: none
    this.u1(TC_ENDBLOCKDATA); // end of Throwable.writeObject's data
    this.string(throwable.stackTrace);
    this.string(throwable.className);
    this.u1(TC_NULL); // serializedException
  }

  private stackTrace(frames: readonly StackFrame[]): void {
    this.u1(TC_ARRAY);
    this.classDescription(STACK_TRACE_ELEMENT_ARRAY);
    this.nextHandle++;
    this.u4(frames.length);
    for (const frame of frames) {
      this.u1(TC_OBJECT);
      this.classDescription(STACK_TRACE_ELEMENT);
      this.nextHandle++;
      this.u1(0); // format: no class loader or module to print
      this.u4(frame.lineNumber);
      this.u1(TC_NULL); // classLoaderName
      this.string(frame.declaringClass);
      if (frame.fileName === null) this.u1(TC_NULL);
      else this.string(frame.fileName);
      this.string(frame.methodName);
      this.u1(TC_NULL); // moduleName
      this.u1(TC_NULL); // moduleVersion
    }
  }

  /** A class descriptor: in full the first time, then as a reference to that first one (as Java writes it). */
  private classDescription(description: ClassDescription | undefined): void {
    if (!description) {
      this.u1(TC_NULL);
      return;
    }
    const handle = this.classHandles.get(description.name);
    if (handle !== undefined) {
      this.u1(TC_REFERENCE);
      this.u4(handle);
      return;
    }
    this.u1(TC_CLASSDESC);
    this.utf(description.name);
    this.i8(description.serialVersionUID);
    this.classHandles.set(description.name, this.nextHandle++);
    this.u1(description.flags);
    this.u2(description.fields.length);
    for (const field of description.fields) {
      this.u1(field.code.charCodeAt(0));
      this.utf(field.name);
      if (field.signature !== undefined) this.string(field.signature);
    }
    this.u1(TC_ENDBLOCKDATA); // no class annotation
    this.classDescription(description.superclass);
  }

  /** A new String object (each gets a handle; repeated strings are written again, which readers accept). */
  private string(value: string): void {
    const bytes = modifiedUtf8(value);
    if (bytes.length <= 0xffff) {
      this.u1(TC_STRING);
      this.u2(bytes.length);
    } else {
      this.u1(TC_LONGSTRING);
      this.i8(BigInt(bytes.length));
    }
    this.nextHandle++;
    this.chunks.push(bytes);
  }

  /** A class or field name (DataOutput.writeUTF): two bytes of length, then modified UTF-8. */
  private utf(value: string): void {
    const bytes = modifiedUtf8(value);
    if (bytes.length > 0xffff) throw new RangeError(`a name of ${bytes.length} bytes cannot be written`);
    this.u2(bytes.length);
    this.chunks.push(bytes);
  }

  private u1(value: number): void {
    this.chunks.push(Buffer.of(value & 0xff));
  }

  private u2(value: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    this.chunks.push(b);
  }

  private u4(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value | 0);
    this.chunks.push(b);
  }

  private i8(value: bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.chunks.push(b);
  }
}

/**
 * Java's modified UTF-8 (DataOutput.writeUTF): UTF-16 code units each encoded on its own (surrogates as three bytes
 * each), and U+0000 as two bytes, so that no byte is zero.
 */
export function modifiedUtf8(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) bytes.push(c);
    else if (c <= 0x7ff) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(bytes);
}

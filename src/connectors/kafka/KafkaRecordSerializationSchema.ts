/** Turns a stream element into a record value (Flink's SerializationSchema). */
export type SerializationSchema<T> = ((element: T) => Buffer | string) | { serialize(element: T): Buffer | string };

/** Where the KafkaSink writes an element and as what (Flink's KafkaRecordSerializationSchema). */
export interface KafkaRecordSerializationSchema<T> {
  topic: string;
  serializeValue(element: T): Buffer | string;
}

export interface KafkaRecordSerializationSchemaBuilder<T> {
  setTopic(topic: string): KafkaRecordSerializationSchemaBuilder<T>;
  setValueSerializationSchema(schema: SerializationSchema<T>): KafkaRecordSerializationSchemaBuilder<T>;
  build(): KafkaRecordSerializationSchema<T>;
}

export const KafkaRecordSerializationSchema = {
  builder<T>(): KafkaRecordSerializationSchemaBuilder<T> {
    let topic: string | undefined;
    let serializer: ((element: T) => Buffer | string) | undefined;
    const builder: KafkaRecordSerializationSchemaBuilder<T> = {
      setTopic(t: string) {
        topic = t;
        return builder;
      },
      setValueSerializationSchema(schema: SerializationSchema<T>) {
        serializer = typeof schema === 'function' ? schema : (e: T) => schema.serialize(e);
        return builder;
      },
      build(): KafkaRecordSerializationSchema<T> {
        if (!topic) throw new Error('KafkaRecordSerializationSchema: no topic set (setTopic).');
        if (!serializer) throw new Error('KafkaRecordSerializationSchema: no value serializer set (setValueSerializationSchema).');
        return { topic, serializeValue: serializer };
      },
    };
    return builder;
  },
};

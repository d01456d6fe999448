// The public surface of @sim/i2cdev.

export { I2CDEV_ERROR_CODES } from './errors.ts';
export {
  I2C_DEV_CLASS,
  I2C_IOCTLS,
  I2C_MAJOR,
  I2C_MINORS,
  I2C_MINORS_V4_9,
  I2C_MINORS_V6_12,
  I2CDEV_NOTIFIER_NAME,
  I2CDEV_PLUGIN_NAME,
  type I2cDevClient,
  type I2cDevEntry,
  type I2cdevOptions,
  type I2cdevState,
  i2cdevPlugin,
} from './i2c-dev.ts';
export { formatDevT, MINORBITS, MINORMASK, major, minor, mkdev } from './kdev-t.ts';

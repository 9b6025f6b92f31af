// Child processes run plain JavaScript against dist/, without a compiler to apply decorators:
// this applies a legacy method decorator by hand, as TypeScript's emitted code would.
function decorate(cls, method, decorator) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
  Object.defineProperty(cls.prototype, method, decorator(cls.prototype, method, descriptor));
}

module.exports = { decorate };

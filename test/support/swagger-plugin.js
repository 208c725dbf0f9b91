// ts-jest wants {name, version, factory}; this hands it @nestjs/swagger's compiler plugin so the
// app under test documents its DTOs exactly as the `nest build` output does.
const plugin = require('@nestjs/swagger/plugin');

module.exports = {
  name: 'nestjs-swagger-plugin',
  version: '1',
  factory: (compiler) => plugin.before({ introspectComments: true, classValidatorShim: true }, compiler.program),
};
